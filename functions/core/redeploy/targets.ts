/**
 * Where and how each environment is redeployed by a rollback run, and how its health is
 * verified afterwards: ONE schema for the functions (REDEPLOY_TARGETS, read once in
 * lib/config.ts) and the CDK app (context `redeployTargets`, checked at synth in
 * infra/stacks/settings.ts), so a setting the function would refuse fails at synth. The
 * Redeployer port is port.ts; each target's own settings are aws.ts and github-actions.ts.
 *
 * `via` picks the Redeployer adapter (functions/adapters/redeploy/<via>.ts); each kind of
 * target is one variant of the union below, with the settings that adapter needs.
 */

import { lazySchema } from '../lazy-schema.js';
import { Environment } from '../schemas.js';
import * as z from '../zod.js';
import { CodePipelineTarget, EcsTarget } from './aws.js';
import { GitHubActionsTarget } from './github-actions.js';

const minutes = (max: number) => z.number().check(z.int(), z.minimum(1), z.maximum(max));

/** The verify step's signal: CloudWatch alarms in AWS, a health URL in local mode. */
export const VerifyConfig = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({
    /** Alarm names that must be OK, and stay OK for `bakeMinutes`, after the redeploy. */
    alarms: z._default(z.array(z.string().check(z.minLength(1), z.maxLength(255))).check(z.maxLength(100)), []),
    /** How long the platform must stay healthy before the run succeeds. */
    bakeMinutes: z._default(minutes(24 * 60), 10),
    /** How long the alarms may take to return to OK once the redeploy is done. */
    recoverMinutes: z._default(minutes(24 * 60), 15),
    /** Seconds between two looks at the alarms. */
    pollSeconds: z._default(z.number().check(z.int(), z.minimum(5), z.maximum(3600)), 60),
    /** Local mode: a URL whose 2xx answer means healthy (instead of alarms). */
    healthUrl: z.optional(z.url({ protocol: /^https?$/ })),
  }),
);
export type VerifyConfig = z.infer<typeof VerifyConfig>;

/** The settings every target has (a function, so that they are built only with a target's schema). */
const common = () => ({
  /** How long the redeploy may take before the run gives up on it (FAILED). */
  timeoutMinutes: z._default(minutes(24 * 60), 30),
  /** Seconds between two looks at the redeploy's progress. */
  pollSeconds: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(3600)), 30),
  /** The ECR repository (name or URI) whose image the checks look up; no check without it. */
  ecrRepository: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  verify: z._default(VerifyConfig, { alarms: [], bakeMinutes: 10, recoverMinutes: 15, pollSeconds: 60 }),
});

/** `callback`: publish ROLLBACK_REQUESTED, wait until the pipeline records the redeploy (rollbackOf). */
export const CallbackTarget = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({ via: z.literal('callback'), ...common() }),
);

/** `command` (local mode only): a shell command run with the deploy command's variables. */
export const CommandTarget = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({
    via: z.literal('command'),
    command: z.string().check(z.minLength(1), z.maxLength(4096)),
    ...common(),
  }),
);

/** `ecs`, `codepipeline`, `github-actions`: the targets' own settings are in aws.ts and github-actions.ts. */
export const EcsRunTarget = /* @__PURE__ */ lazySchema(() => z.strictObject({ ...EcsTarget.shape, ...common() }));
export const CodePipelineRunTarget = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({ ...CodePipelineTarget.shape, ...common() }),
);
export const GitHubActionsRunTarget = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({ ...GitHubActionsTarget.shape, ...common() }),
);

/** The three targets outside the service as one union, for code that handles only these (the grants, the adapter factory). */
export const ExternalRedeployTarget = /* @__PURE__ */ lazySchema(() =>
  z.discriminatedUnion('via', [EcsTarget, CodePipelineTarget, GitHubActionsTarget]),
);
export type ExternalRedeployTarget = z.infer<typeof ExternalRedeployTarget>;

/** One environment's redeploy target. */
export const RedeployTarget = /* @__PURE__ */ lazySchema(() =>
  z.discriminatedUnion('via', [
    CallbackTarget,
    CommandTarget,
    EcsRunTarget,
    CodePipelineRunTarget,
    GitHubActionsRunTarget,
  ]),
);
export type RedeployTarget = z.infer<typeof RedeployTarget>;

/** Environment → its redeploy target. An environment not listed has none (alarms behave as before). */
export const RedeployTargets = /* @__PURE__ */ lazySchema(() => z.record(Environment, RedeployTarget));
export type RedeployTargets = z.infer<typeof RedeployTargets>;

/** Parses REDEPLOY_TARGETS / `redeployTargets`; throws an Error naming every problem. */
export function parseRedeployTargets(value: unknown, name: string): RedeployTargets {
  const parsed = typeof value === 'string' ? parseJson(value, name) : (value ?? {});
  const result = RedeployTargets.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${name} is invalid: ${problems}`);
  }
  return result.data;
}

function parseJson(value: string, name: string): unknown {
  if (value.trim() === '') return {};
  try {
    return JSON.parse(value);
  } catch {
    throw new Error(`${name} must be JSON: {"prod": {"via": "callback", "verify": {"alarms": ["prod-5xx"]}}}`);
  }
}
