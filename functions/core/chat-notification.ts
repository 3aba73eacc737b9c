/**
 * Every notification rendered for people in chat: Amazon Q Developer in chat applications
 * (formerly AWS Chatbot) shows an SNS message in Slack or Microsoft Teams only when it is a
 * "custom notification" (https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html);
 * anything else it drops. The chat topic carries these renderings, the rollback topic the
 * JSON the pipelines filter on: the same outbox item, twice.
 *
 * Written for a person woken at 3 a.m.: what happened, where, from which tag to which, who or
 * which alarm, why; then the commands to paste and the links that exist. A run's messages
 * share its id as `threadId`, so they read as one thread.
 *
 * Pure: the message and the redeploy targets in, the rendering out.
 */

import type { AlarmRef } from './alarm.js';
import type { Deployment } from './deployment.js';
import type { Hold } from './guards.js';
import type {
  AutoRollbackSkipped,
  DeploymentRolledBack,
  EnvironmentHeld,
  EnvironmentReleased,
  EventType,
  GuardBypassed,
  ReadinessLost,
  ReadinessRestored,
  RollbackMessage,
  RollbackRequested,
  RunMessage,
} from './notifications.js';
import { ecsServiceArn, pipelineArn } from './redeploy/aws.js';
import type { RedeployTarget, RedeployTargets } from './redeploy/targets.js';
import type { Run, StepName, StepStatus } from './run.js';

/** A custom notification, the members this service fills. */
export interface ChatNotification {
  version: '1.0';
  source: 'custom';
  /** The outbox event's id: unique per message, the same on a redelivery. */
  id: string;
  content: {
    textType: 'client-markdown';
    title: string;
    description: string;
    nextSteps: string[];
    keywords: string[];
  };
  metadata: {
    /** The run's id for a run's events, else the deployment's, else the environment. */
    threadId: string;
    summary: string;
    eventType: EventType;
    relatedResources: string[];
    additionalContext: Record<string, string>;
  };
}

/** What the renderer knows besides the message. */
export interface ChatContext {
  /** The redeploy targets (REDEPLOY_TARGETS): what a run acts on, for the links and next steps. */
  targets: RedeployTargets;
}

/** The limits AWS documents for custom notifications (characters). */
export const CHAT_LIMITS = { title: 250, description: 8000, nextStep: 350, keyword: 75 } as const;

/**
 * Bounds of our own where AWS documents none: short lists read better in a channel, and a
 * value from a caller (a reason, a note, an alarm's reason) must not crowd out the rest.
 */
const OWN = {
  summary: 250,
  threadId: 256,
  nextSteps: 6,
  keywords: 5,
  resources: 10,
  resource: 2048,
  contextValue: 1024,
  field: 1000,
} as const;

const CLI = 'npx platform-rollback';

/** Renders one notification for chat. Never throws for a message of a known type; sizes stay within the limits. */
export function renderChat(message: RollbackMessage, context: ChatContext): ChatNotification {
  return finish(message, draftOf(message, context));
}

/** What each event type contributes; `finish` bounds and assembles it. */
interface Draft {
  title: string;
  summary: string;
  threadId: string;
  /** The description, one line each; empty ones are dropped. */
  lines: (string | null | false | undefined)[];
  nextSteps: (string | null | false | undefined)[];
  keywords: string[];
  resources: (string | null | undefined)[];
  context: Record<string, string | null | undefined>;
}

function draftOf(message: RollbackMessage, context: ChatContext): Draft {
  const target = context.targets[message.environment];
  switch (message.eventType) {
    case 'DEPLOYMENT_ROLLED_BACK':
      return rolledBack(message, target);
    case 'ROLLBACK_REQUESTED':
      return requested(message, target);
    case 'AUTO_ROLLBACK_SKIPPED':
      return skipped(message, target);
    case 'ROLLBACK_STARTED':
    case 'ROLLBACK_SUCCEEDED':
    case 'ROLLBACK_FAILED':
      return runEvent(message, target);
    case 'ENVIRONMENT_HELD':
      return held(message);
    case 'ENVIRONMENT_RELEASED':
      return released(message);
    case 'GUARD_BYPASSED':
      return bypassed(message);
    case 'ROLLBACK_READINESS_LOST':
      return readinessLost(message);
    case 'ROLLBACK_READINESS_RESTORED':
      return readinessRestored(message);
  }
}

function rolledBack(m: DeploymentRolledBack, target: RedeployTarget | undefined): Draft {
  const d = m.deployment;
  const env = m.environment;
  const alarmUrl = m.alarm && alarmConsoleUrl(m.alarm.arn);
  const runUrl = d.pipelineRunUrl && link(d.pipelineRunUrl);
  const why = d.rollbackReason ?? m.alarm?.reason;
  return {
    title: `⏪ [${env}] ${d.imageTag} rolled back`,
    summary: `${env}: ${d.imageTag} rolled back`,
    threadId: d.id,
    lines: [
      `${code(d.imageTag)} is ROLLED_BACK in ${code(env)}, marked by ${m.alarm ? `alarm ${code(m.alarm.name)}` : code(d.rolledBackBy ?? 'unknown')} at ${when(d.rolledBackAt ?? m.occurredAt)}.`,
      field('Why', why ? text(why) : 'no reason given'),
      field('Deployment', describeRecord(d)),
      notesOf(d),
      m.alarm && field('Alarm', alarmUrl ?? code(m.alarm.arn)),
      runUrl && field('Pipeline run', runUrl),
      'Marking it ROLLED_BACK redeploys nothing by itself: a rollback run, the `platform-rollback rollback` command or the CD pipeline (ROLLBACK_REQUESTED) puts the previous version back and records it.',
    ],
    nextSteps: [
      nextStep(`See what runs in ${env} now`, `history --environment ${env} --limit 5`),
      linkStep('Look at the alarm', alarmUrl),
      linkStep("The bad release's pipeline run", runUrl),
    ],
    keywords: [env, 'rolled back', m.trigger],
    resources: [m.alarm?.arn, ...targetResources(target)],
    context: { deploymentId: d.id, imageTag: d.imageTag, trigger: m.trigger, alarmName: m.alarm?.name },
  };
}

function requested(m: RollbackRequested, target: RedeployTarget | undefined): Draft {
  const env = m.environment;
  const { current, target: wanted } = m;
  const alarmUrl = m.alarm && alarmConsoleUrl(m.alarm.arn);
  const why = current.rollbackReason ?? m.alarm?.reason;
  return {
    title: `↩️ [${env}] Redeploy ${wanted.imageTag} to replace ${current.imageTag}`,
    summary: `${env}: redeploy ${wanted.imageTag} requested`,
    // The rolled-back deployment's thread: its ROLLED_BACK message and this request read together.
    threadId: current.id,
    lines: [
      `The CD pipeline is asked to redeploy ${code(wanted.imageTag)} in ${code(env)}: ${code(current.imageTag)} is ROLLED_BACK.`,
      field('Asked by', m.alarm ? `alarm ${code(m.alarm.name)}` : code(current.rolledBackBy ?? 'a rollback run')),
      field('Why', why ? text(why) : 'no reason given'),
      field('Redeploy', describeRecord(wanted)),
      field('Rolled back', describeRecord(current)),
      notesOf(current),
      m.alarm && field('Alarm', alarmUrl ?? code(m.alarm.arn)),
      `The pipeline records the redeploy with \`rollbackOf\` = ${code(current.id)}; until it does, this service has no record of a redeploy.`,
    ],
    nextSteps: [
      nextStep(
        `Check that the pipeline redeploys ${wanted.imageTag} (the history shows it once recorded)`,
        `history --environment ${env} --limit 5`,
      ),
      nextStep(
        `If no pipeline acts on it, redeploy ${wanted.imageTag} by hand, then record it`,
        `record --environment ${env} --image-tag ${wanted.imageTag} --rollback-of ${current.id}`,
      ),
      linkStep('Look at the alarm', alarmUrl),
    ],
    keywords: [env, 'redeploy requested', m.alarm ? 'alarm' : 'rollback run'],
    resources: [m.alarm?.arn, ...targetResources(target)],
    context: {
      deploymentId: current.id,
      imageTag: current.imageTag,
      targetDeploymentId: wanted.id,
      targetImageTag: wanted.imageTag,
      alarmName: m.alarm?.name,
    },
  };
}

function skipped(m: AutoRollbackSkipped, target: RedeployTarget | undefined): Draft {
  const env = m.environment;
  const { alarm, current } = m;
  const alarmUrl = alarmConsoleUrl(alarm.arn);
  return {
    title: `⚠️ [${env}] Alarm ${alarm.name} fired: no automatic rollback`,
    summary: `${env}: alarm ${alarm.name} fired, rollback skipped`,
    threadId: current?.id ?? env,
    lines: [
      `Alarm ${code(alarm.name)} went into ALARM at ${when(alarm.stateChangedAt)}, but nothing was rolled back in ${code(env)}.`,
      field('Why not', text(m.reason)),
      field('Alarm reason', text(alarm.reason)),
      field('Current', current ? `${describeRecord(current)}, ${current.status}` : 'no deployment recorded'),
      current && notesOf(current),
      field('Alarm', alarmUrl ?? code(alarm.arn)),
    ],
    nextSteps: [
      linkStep('Look at the alarm', alarmUrl),
      nextStep(`If the release is bad, see what a rollback would do (changes nothing)`, `plan --environment ${env}`),
      target
        ? nextStep(`Then let the service roll it back`, `rollback --via-service --environment ${env} --reason "..."`)
        : nextStep(`Then roll it back`, `rollback --environment ${env} --reason "..." --deploy-command "..."`),
    ],
    keywords: [env, 'rollback skipped', 'alarm'],
    resources: [alarm.arn, ...targetResources(target)],
    context: { deploymentId: current?.id, imageTag: current?.imageTag, alarmName: alarm.name },
  };
}

const STEP_MARK: Record<StepStatus, string> = {
  SUCCEEDED: '✓',
  FAILED: '✗',
  SKIPPED: '–',
  PENDING: '·',
  RUNNING: '…',
};

/** What a run failed at leaves behind, for the reader who must act. */
function stateAfter(run: Run, step: StepName): string {
  const current = code(run.current.imageTag);
  const wanted = code(run.target.imageTag);
  switch (step) {
    case 'identify':
    case 'checks':
    case 'mark':
      return `Nothing was changed: ${current} was not marked ROLLED_BACK and nothing was redeployed.`;
    case 'redeploy':
    case 'record':
      return `${current} is marked ROLLED_BACK, but the redeploy of ${wanted} did not complete: find out what runs there now.`;
    case 'verify':
      return `${wanted} was redeployed and runs, but the platform did not stay healthy afterwards.`;
    default:
      return `See the run for what ${code(step)} left behind.`;
  }
}

function runEvent(m: RunMessage, target: RedeployTarget | undefined): Draft {
  const env = m.environment;
  const { run } = m;
  const from = run.current.imageTag;
  const to = run.target.imageTag;
  const alarmUrl = run.alarm && alarmConsoleUrl(run.alarm.arn);
  const redeployUrl = run.redeploy?.url ? link(run.redeploy.url) : null;
  const follow = nextStep(`Every step of the run`, `run ${run.id}`);
  const common = {
    threadId: run.id,
    resources: [run.alarm?.arn, ...targetResources(target)],
    context: {
      runId: run.id,
      deploymentId: run.current.id,
      imageTag: from,
      targetImageTag: to,
      alarmName: run.alarm?.name,
    },
  };
  const requestedBy = field(
    'Requested by',
    run.trigger === 'alarm' && run.alarm ? `alarm ${code(run.alarm.name)}` : code(run.requestedBy),
  );
  const why = field('Why', text(run.reason));
  const steps = field('Steps', run.steps.map((s) => `${s.name} ${STEP_MARK[s.status]}`).join(' · '));
  const redeploy =
    run.redeploy &&
    field(
      'Redeploy',
      [
        `via ${run.redeploy.via}`,
        run.redeploy.deploymentId && `record ${code(run.redeploy.deploymentId)}`,
        run.redeploy.externalId && code(run.redeploy.externalId),
        redeployUrl,
      ]
        .filter(Boolean)
        .join(', '),
    );
  if (m.eventType === 'ROLLBACK_STARTED') {
    return {
      ...common,
      title: `⏪ [${env}] Rollback run started: ${from} → ${to}`,
      summary: `${env}: rollback to ${to} running`,
      lines: [
        `The service is rolling ${code(env)} back from ${code(from)} to ${code(to)}.`,
        requestedBy,
        why,
        field('Redeploy via', target ? describeTarget(target) : (run.redeploy?.via ?? 'the redeploy target')),
        run.alarm && field('Alarm', alarmUrl ?? code(run.alarm.arn)),
        field(
          'Run',
          `${code(run.id)}: identify → checks → mark → redeploy → record → verify; this thread says how it ends.`,
        ),
      ],
      nextSteps: [
        nextStep(`Follow it`, `run ${run.id}`),
        linkStep('Look at the alarm', alarmUrl),
        nextStep(`The environment's runs`, `runs --environment ${env}`),
      ],
      keywords: [env, 'rollback run', run.trigger],
    };
  }
  if (m.eventType === 'ROLLBACK_SUCCEEDED') {
    const verify = run.steps.find((s) => s.name === 'verify');
    return {
      ...common,
      title: `✅ [${env}] Rolled back to ${to}: healthy`,
      summary: `${env}: rollback to ${to} succeeded`,
      lines: [
        `${code(env)} runs ${code(to)} again: the rollback run ended healthy${run.endedAt ? ` after ${duration(run.startedAt, run.endedAt)}` : ''}.`,
        requestedBy,
        why,
        redeploy,
        verify?.detail && field('Verify', text(verify.detail)),
        steps,
        `${code(from)} stays ROLLED_BACK: ship the fix as a new version.`,
      ],
      nextSteps: [
        follow,
        linkStep('The redeploy', redeployUrl),
        nextStep(`The environment's history`, `history --environment ${env} --limit 5`),
      ],
      keywords: [env, 'rollback run', 'succeeded'],
    };
  }
  const failure = m.failure ?? run.failure ?? { step: 'verify' as const, detail: 'the run failed' };
  const step = failure.step as StepName;
  return {
    ...common,
    title: `🔴 [${env}] Rollback FAILED at ${failure.step}: people must act`,
    summary: `${env}: rollback to ${to} FAILED at ${failure.step}`,
    lines: [
      `The rollback run of ${code(env)} from ${code(from)} to ${code(to)} failed at ${code(failure.step)}. A failed run is never retried automatically.`,
      field('Failure', text(failure.detail)),
      stateAfter(run, step),
      requestedBy,
      why,
      redeploy,
      steps,
      run.alarm && field('Alarm', alarmUrl ?? code(run.alarm.arn)),
    ],
    nextSteps: [
      follow,
      linkStep('The redeploy', redeployUrl),
      ...failedRunSteps(run, step, env),
      linkStep('Look at the alarm', alarmUrl),
    ],
    keywords: [env, 'rollback FAILED', failure.step],
    context: { ...common.context, failedStep: failure.step },
  };
}

/** What to do by hand after a run failed at `step`. */
function failedRunSteps(run: Run, step: StepName, env: string): string[] {
  const to = run.target.imageTag;
  switch (step) {
    case 'identify':
    case 'checks':
    case 'mark':
      return [
        nextStep(`See the target and every check (changes nothing)`, `plan --environment ${env} --to ${to}`),
        nextStep(
          `Roll back by hand once it is safe`,
          `rollback --environment ${env} --to ${to} --reason "..." --deploy-command "..."`,
        ),
      ];
    case 'redeploy':
    case 'record':
      return [
        nextStep(
          `Redeploy ${to} with your pipeline, then record it`,
          `record --environment ${env} --image-tag ${to} --rollback-of ${run.current.id}`,
        ),
      ];
    default:
      return [nextStep(`See what runs there and since when`, `history --environment ${env} --limit 5`)];
  }
}

function held(m: EnvironmentHeld): Draft {
  const env = m.environment;
  const { hold } = m;
  return {
    title: `⛔ [${env}] Held: no forward deployments until released`,
    summary: `${env}: held`,
    threadId: env,
    lines: [
      `${code(env)} is held: a pipeline that starts a deployment there gets 409 (environment-held); rollback redeploys still go through.`,
      ...describeHold(hold),
    ],
    nextSteps: [
      nextStep(`Ask before deploying`, `gate --environment ${env} --image-tag TAG`),
      hold.cause.runId && nextStep(`The rollback run`, `run ${hold.cause.runId}`),
      nextStep(`When the fix is ready, release it`, `release --environment ${env} --reason "..."`),
    ],
    keywords: [env, 'held', hold.cause.kind],
    resources: [],
    context: { deploymentId: hold.cause.deploymentId, runId: hold.cause.runId, by: hold.by },
  };
}

function released(m: EnvironmentReleased): Draft {
  const env = m.environment;
  return {
    title: `🟢 [${env}] Released: forward deployments allowed again`,
    summary: `${env}: released`,
    threadId: env,
    lines: [
      `${code(env)} was released by ${code(m.by)} after ${duration(m.hold.since, m.occurredAt)} on hold: pipelines may deploy there again.`,
      field('Why', text(m.reason)),
      field('The hold was', `${text(m.hold.reason)} (by ${code(m.hold.by)}, since ${when(m.hold.since)})`),
    ],
    nextSteps: [
      nextStep(`Ask before deploying`, `gate --environment ${env} --image-tag TAG`),
      nextStep(`The environment's history`, `history --environment ${env} --limit 5`),
    ],
    keywords: [env, 'released'],
    resources: [],
    context: { by: m.by, deploymentId: m.hold.cause.deploymentId },
  };
}

function bypassed(m: GuardBypassed): Draft {
  const env = m.environment;
  const d = m.deployment;
  const runUrl = d.pipelineRunUrl && link(d.pipelineRunUrl);
  const guard =
    m.guard === 'hold'
      ? `although ${code(env)} is held`
      : `although ${code(d.imageTag)} was rolled back there (known bad)`;
  return {
    title: `⚠️ [${env}] Guard bypassed (${m.guard}): ${d.imageTag} ${d.status}`,
    summary: `${env}: ${d.imageTag} went through the ${m.guard} guard`,
    threadId: d.id,
    lines: [
      `${code(d.imageTag)} was recorded ${d.status} in ${code(env)} ${guard}.`,
      field(
        'Override',
        m.override
          ? `${text(m.override.reason)} (by ${code(m.override.by)})`
          : `none: the record reports a deployment that already happened (${d.status}), which the guards record rather than refuse`,
      ),
      m.hold && field('The hold', `${text(m.hold.reason)} (by ${code(m.hold.by)}, since ${when(m.hold.since)})`),
      field('Deployment', describeRecord(d)),
      notesOf(d),
      runUrl && field('Pipeline run', runUrl),
    ],
    nextSteps: [
      nextStep(`See what runs there now`, `history --environment ${env} --limit 5`),
      m.guard === 'hold'
        ? nextStep(`If the hold no longer applies, release it`, `release --environment ${env} --reason "..."`)
        : nextStep(`If ${d.imageTag} must not run there, see what a rollback would do`, `plan --environment ${env}`),
    ],
    keywords: [env, 'guard bypassed', m.guard],
    resources: [],
    context: { deploymentId: d.id, imageTag: d.imageTag, guard: m.guard, by: m.override?.by ?? d.deployedBy },
  };
}

function readinessLost(m: ReadinessLost): Draft {
  const env = m.environment;
  const failing = m.readiness.failing;
  return {
    title: `🟠 [${env}] A rollback would fail now: ${failing.join(', ')}`,
    summary: `${env}: rollback readiness lost`,
    threadId: env,
    lines: [
      `A rollback of ${code(env)} would fail if it were needed now (checked ${when(m.readiness.checkedAt)}). Nothing is down because of this: fix it before the next rollback needs it.`,
      ...m.checks.map((check) => field(check.name, `${check.status}: ${text(check.detail)}`)),
    ],
    nextSteps: [
      nextStep(`See every check`, `plan --environment ${env}`),
      'Usual causes: the target image expired from the registry, an irreversible migration since, a renamed service, pipeline or alarm',
    ],
    keywords: [env, 'readiness lost', ...failing],
    resources: [],
    context: { failing: failing.join(',') },
  };
}

function readinessRestored(m: ReadinessRestored): Draft {
  const env = m.environment;
  return {
    title: `🟢 [${env}] A rollback would work again`,
    summary: `${env}: rollback readiness restored`,
    threadId: env,
    lines: [`Every readiness check of ${code(env)} passes again (checked ${when(m.readiness.checkedAt)}).`],
    nextSteps: [nextStep(`See every check`, `plan --environment ${env}`)],
    keywords: [env, 'readiness restored'],
    resources: [],
    context: {},
  };
}

function describeHold(hold: Hold): string[] {
  return [
    field('Why', text(hold.reason)),
    field('By', `${code(hold.by)}, since ${when(hold.since)}`),
    field(
      'Cause',
      hold.cause.kind === 'rollback'
        ? `the rollback of deployment ${code(hold.cause.deploymentId ?? 'unknown')}${hold.cause.runId ? ` by run ${code(hold.cause.runId)}` : ''}`
        : 'a manual hold (deploy freeze)',
    ),
  ];
}

/** A record in one line: tag, id, when and by whom, version and commit where known. */
function describeRecord(d: Deployment): string {
  const extras = [d.version && `version ${code(d.version)}`, d.commitSha && `commit ${code(d.commitSha)}`];
  return [
    `${code(d.imageTag)} (${code(d.id)}), deployed ${when(d.deployedAt)} by ${code(d.deployedBy)}`,
    ...extras.filter(Boolean),
  ].join(', ');
}

/** What the record's notes say was in it (the pipeline's words), where it has any. */
function notesOf(d: Deployment): string | null {
  return d.notes ? field('Notes', text(d.notes)) : null;
}

function describeTarget(target: RedeployTarget): string {
  switch (target.via) {
    case 'ecs':
      return `the ECS service ${code(target.service)} in cluster ${code(target.cluster)} (${target.accountId}, ${target.region})`;
    case 'codepipeline':
      return `the CodePipeline pipeline ${code(target.pipeline)} (${target.accountId}, ${target.region})`;
    case 'github-actions':
      return `the GitHub Actions workflow ${code(target.workflow)} of ${code(`${target.owner}/${target.repo}`)}`;
    case 'callback':
      return 'the CD pipeline (ROLLBACK_REQUESTED)';
    case 'command':
      return 'the local deploy command';
  }
}

/** The resources a target acts on, by ARN (or the workflow's page). */
function targetResources(target: RedeployTarget | undefined): string[] {
  switch (target?.via) {
    case 'ecs':
      return [ecsServiceArn(target)];
    case 'codepipeline':
      return [pipelineArn(target)];
    case 'github-actions': {
      // github.com's API is api.github.com; GitHub Enterprise Server's is https://HOST/api/v3.
      let api: URL;
      try {
        api = new URL(target.apiUrl);
      } catch {
        return [];
      }
      const site = api.host === 'api.github.com' ? 'https://github.com' : api.origin;
      return [`${site}/${target.owner}/${target.repo}/actions/workflows/${target.workflow}`];
    }
    default:
      return [];
  }
}

/**
 * The CloudWatch console page of an alarm, from its ARN (in its own partition and region);
 * null for anything that is not an alarm ARN.
 */
export function alarmConsoleUrl(arn: AlarmRef['arn']): string | null {
  const match = /^arn:(aws|aws-cn|aws-us-gov):cloudwatch:([a-z0-9-]+):\d{12}:alarm:(.+)$/.exec(arn);
  if (!match) return null;
  const [, partition, region, name = ''] = match;
  const host =
    partition === 'aws-cn'
      ? `${region}.console.amazonaws.cn`
      : partition === 'aws-us-gov'
        ? 'console.amazonaws-us-gov.com'
        : `${region}.console.aws.amazon.com`;
  return `https://${host}/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(name)}`;
}

function finish(message: RollbackMessage, draft: Draft): ChatNotification {
  const present = <T>(items: (T | null | false | undefined | '')[]): T[] => items.filter((x): x is T => Boolean(x));
  const context: Record<string, string> = { environment: message.environment, eventId: message.eventId };
  for (const [key, value] of Object.entries(draft.context)) {
    if (value) context[key] = clip(plain(value), OWN.contextValue);
  }
  return {
    version: '1.0',
    source: 'custom',
    id: message.eventId,
    content: {
      textType: 'client-markdown',
      title: clip(plain(draft.title), CHAT_LIMITS.title),
      description: clip(present(draft.lines).join('\n'), CHAT_LIMITS.description),
      nextSteps: present(draft.nextSteps)
        .slice(0, OWN.nextSteps)
        .map((step) => clip(step, CHAT_LIMITS.nextStep)),
      keywords: [...new Set(present(draft.keywords).map((k) => clip(plain(k), CHAT_LIMITS.keyword)))].slice(
        0,
        OWN.keywords,
      ),
    },
    metadata: {
      threadId: clip(draft.threadId, OWN.threadId),
      summary: clip(plain(draft.summary), OWN.summary),
      eventType: message.eventType,
      relatedResources: [...new Set(present(draft.resources))]
        .filter((r) => r.length <= OWN.resource)
        .slice(0, OWN.resources),
      additionalContext: context,
    },
  };
}

/**
 * A next step: what to do, then the command to paste. When both do not fit in a step, the
 * prose gives way: a command cut short would do something else than it says.
 */
function nextStep(prose: string, command: string): string {
  const full = `${prose}: \`${CLI} ${command}\``;
  return Array.from(full).length <= CHAT_LIMITS.nextStep ? full : `\`${CLI} ${command}\``;
}

/** A next step that is a link; none when the link would not fit whole (a cut link leads nowhere). */
function linkStep(prose: string, url: string | null | undefined): string | null {
  const full = url && `${prose}: ${url}`;
  return full && Array.from(full).length <= CHAT_LIMITS.nextStep ? full : null;
}

/** `Label:` in bold (Slack's `*`; Teams shows it in italics), then the value. */
function field(label: string, value: string): string {
  return `*${label}:* ${value}`;
}

/** A value from a caller or an alarm, as plain text of bounded length. */
function text(value: string): string {
  return clip(plain(value), OWN.field);
}

/** A value as inline code (bounded), which chat shows as typed and people can copy. */
function code(value: string): string {
  return `\`${clip(plain(value), OWN.field)}\``;
}

/**
 * Text as plain text for both chat clients: on one line, with nothing a chat client acts on.
 * A reason like `<!channel>`, `@here` or `<https://x|click>` would page a channel or forge a
 * link in Slack, and a backtick would end our code span; look-alike characters keep it readable.
 */
export function plain(value: string): string {
  return value
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
    .replaceAll('`', "'")
    .replaceAll('<', '‹')
    .replaceAll('>', '›')
    .replaceAll('@', '＠')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** An http(s) URL chat can show as a link, or null (a URL with spaces or brackets is not shown). */
function link(url: string): string | null {
  return /^https?:\/\/[^\s<>|`@]+$/.test(url) && url.length <= OWN.resource ? url : null;
}

/**
 * At most `max` characters (code points: what the documented limits count), cut with an
 * ellipsis; a surrogate pair is never split.
 */
export function clip(value: string, max: number): string {
  if (value.length <= max) return value;
  const points = Array.from(value);
  if (points.length <= max) return value;
  return `${points.slice(0, max - 1).join('')}…`;
}

/** `2026-11-27 10:31 UTC`: read at a glance, in the one zone everyone shares. */
function when(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return code(iso);
  return `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `2 h 5 min`, `14 min`, `40 s`. */
function duration(fromIso: string, toIso: string): string {
  const seconds = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000));
  if (Number.isNaN(seconds)) return 'an unknown time';
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}
