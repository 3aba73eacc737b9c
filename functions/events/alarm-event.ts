/**
 * The three shapes in which a CloudWatch alarm's state change reaches a Lambda function,
 * parsed into one AlarmStateChange each. Pure functions: no I/O, so every shape and every
 * malformed variant is unit-tested without AWS.
 *
 * - the alarm's own Lambda action: `{ source: "aws.cloudwatch", alarmArn, alarmData: { alarmName, state, previousState } }`
 * - EventBridge: `{ "detail-type": "CloudWatch Alarm State Change", resources: [alarmArn], detail: { alarmName, state, previousState } }`
 * - SNS: `{ Records: [{ Sns: { Message: "<JSON with AlarmName, AlarmArn, NewStateValue, ...>" } }] }`
 *
 * CloudWatch writes times like `2026-11-27T10:00:00.000+0000` (no colon in the offset),
 * which neither ISO 8601's extended form nor every parser accepts; they are normalised to
 * ISO UTC here, so the three shapes of one change produce the same identity.
 */
import type { AlarmStateChange } from '../core/alarm.js';
import * as z from '../core/zod.js';

export type AlarmShape = 'lambda' | 'eventbridge' | 'sns';

export interface ParsedAlarm {
  via: AlarmShape;
  changes: AlarmStateChange[];
}

/** An error that says what was wrong with the event; the handler logs it and drops the event. */
export class MalformedAlarmEvent extends Error {}

const CLOUDWATCH_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})$/;

/** `2026-11-27T10:00:00.000+0000` (or `+00:00`, or `Z`) → `2026-11-27T10:00:00.000Z`; undefined if not a time. */
export function normaliseTimestamp(value: string): string | undefined {
  const match = CLOUDWATCH_TIME.exec(value.trim());
  if (!match) return undefined;
  const [, local, zone] = match as unknown as [string, string, string];
  const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const time = Date.parse(`${local}${offset}`);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/**
 * zod/mini's transform context has no `addIssue`, so the issue is pushed as classic zod's
 * `ctx.addIssue` pushed it: a custom issue carrying the input.
 */
const Timestamp = z.pipe(
  z.string(),
  z.transform((value: string, ctx) => {
    const iso = normaliseTimestamp(value);
    if (!iso) {
      ctx.issues.push({ code: 'custom', message: `is not a CloudWatch timestamp: ${value}`, input: value });
      return z.NEVER;
    }
    return iso;
  }),
);
const AlarmArn = z
  .string()
  .check(z.regex(/^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$/, 'is not an alarm ARN'));
const StateValue = z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']);
const State = z.object({ value: StateValue, reason: z._default(z.string(), ''), timestamp: Timestamp });
const AlarmName = z.string().check(z.minLength(1), z.maxLength(255));

const LambdaActionEvent = z.object({
  source: z.literal('aws.cloudwatch'),
  alarmArn: AlarmArn,
  alarmData: z.object({ alarmName: AlarmName, state: State, previousState: z.optional(z.partial(State)) }),
});

const EventBridgeEvent = z.object({
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  source: z.literal('aws.cloudwatch'),
  resources: z.array(z.string()).check(z.minLength(1)),
  detail: z.object({ alarmName: AlarmName, state: State, previousState: z.optional(z.partial(State)) }),
});

const SnsAlarmMessage = z.object({
  AlarmName: AlarmName,
  AlarmArn: z.optional(AlarmArn),
  AWSAccountId: z.string().check(z.regex(/^\d{12}$/)),
  NewStateValue: StateValue,
  NewStateReason: z._default(z.string(), ''),
  StateChangeTime: Timestamp,
  OldStateValue: z.optional(StateValue),
});

const SnsEvent = z.object({
  Records: z
    .array(
      z.object({
        EventSource: z.optional(z.literal('aws:sns')),
        Sns: z.object({ TopicArn: z.string(), Message: z.string() }),
      }),
    )
    .check(z.minLength(1)),
});

function issues(error: z.core.$ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

function parseWith<S extends z.ZodMiniType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new MalformedAlarmEvent(`${what}: ${issues(result.error)}`);
  return result.data;
}

/** The alarm name inside an ARN: everything after `:alarm:` (names may hold colons). */
function nameOfArn(arn: string): string {
  return arn.slice(arn.indexOf(':alarm:') + ':alarm:'.length);
}

/**
 * Older SNS alarm messages carry no AlarmArn; it is rebuilt from the topic's partition and
 * region (the alarm publishes to a topic in its own region) and the message's account.
 */
function snsAlarmArn(message: z.infer<typeof SnsAlarmMessage>, topicArn: string): string {
  if (message.AlarmArn) return message.AlarmArn;
  const [, partition, , region] = topicArn.split(':');
  if (!partition || !region) throw new MalformedAlarmEvent(`Sns.TopicArn is not an ARN: ${topicArn}`);
  return `arn:${partition}:cloudwatch:${region}:${message.AWSAccountId}:alarm:${message.AlarmName}`;
}

/** Which shape an event is, by the members each shape alone has. */
export function shapeOf(event: unknown): AlarmShape | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  if ('alarmData' in event) return 'lambda';
  if ('detail-type' in event) return 'eventbridge';
  if ('Records' in event) return 'sns';
  return undefined;
}

/** Parses any of the three shapes; throws MalformedAlarmEvent saying what is wrong. */
export function parseAlarmEvent(event: unknown): ParsedAlarm {
  const via = shapeOf(event);
  switch (via) {
    case 'lambda': {
      const e = parseWith(LambdaActionEvent, event, 'alarm action event');
      const data = e.alarmData;
      if (nameOfArn(e.alarmArn) !== data.alarmName) {
        throw new MalformedAlarmEvent(`alarmArn ${e.alarmArn} does not name alarm ${data.alarmName}`);
      }
      return { via, changes: [fromState(data.alarmName, e.alarmArn, data.state, data.previousState)] };
    }
    case 'eventbridge': {
      const e = parseWith(EventBridgeEvent, event, 'EventBridge event');
      const arn = e.resources.find((r) => AlarmArn.safeParse(r).success && nameOfArn(r) === e.detail.alarmName);
      if (!arn) throw new MalformedAlarmEvent(`resources hold no ARN of alarm ${e.detail.alarmName}`);
      return { via, changes: [fromState(e.detail.alarmName, arn, e.detail.state, e.detail.previousState)] };
    }
    case 'sns': {
      const e = parseWith(SnsEvent, event, 'SNS event');
      const changes = e.Records.map((record, i) => {
        let body: unknown;
        try {
          body = JSON.parse(record.Sns.Message);
        } catch {
          throw new MalformedAlarmEvent(`Records.${i}.Sns.Message is not JSON`);
        }
        const m = parseWith(SnsAlarmMessage, body, `Records.${i}.Sns.Message`);
        return {
          name: m.AlarmName,
          arn: snsAlarmArn(m, record.Sns.TopicArn),
          state: m.NewStateValue,
          previousState: m.OldStateValue ?? null,
          reason: m.NewStateReason,
          stateChangedAt: m.StateChangeTime,
        };
      });
      return { via, changes };
    }
    default:
      throw new MalformedAlarmEvent(
        'not an alarm event: expected an alarm action (alarmData), an EventBridge "CloudWatch Alarm State Change" or an SNS notification (Records)',
      );
  }
}

function fromState(
  name: string,
  arn: string,
  state: z.infer<typeof State>,
  previous: Partial<z.infer<typeof State>> | undefined,
): AlarmStateChange {
  return {
    name,
    arn,
    state: state.value,
    previousState: previous?.value ?? null,
    reason: state.reason,
    stateChangedAt: state.timestamp,
  };
}
