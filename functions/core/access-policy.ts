/**
 * Environment-scoped access: which IAM principals may do what in which environment.
 *
 * IAM decides who may call the API at all (execute-api:Invoke); it cannot confine a caller
 * to an environment, because the environment travels in the body or the query. This policy
 * does, and the use cases enforce it (`authorize` below) before they read or write anything
 * of that environment. The same schema checks the CDK context `accessPolicy` at synth and the
 * functions' ACCESS_POLICY at init, so a policy that synthesizes is one the functions accept.
 *
 * ```json
 * {
 *   "prod":  { "read": ["arn:aws:iam::123456789012:role/ops/oncall"],
 *              "record": ["arn:aws:iam::123456789012:role/ci-deployer-prod"],
 *              "rollback": ["arn:aws:iam::123456789012:role/ops/oncall"] },
 *   "*":     { "read": ["arn:aws:iam::123456789012:role/auditor"] }
 * }
 * ```
 *
 * - An environment not named (and no `"*"` entry) allows nobody anything there.
 * - `"*"` adds to every environment's entry: its principals may do its actions everywhere.
 * - No policy at all (the setting absent): every caller IAM lets in may do everything, as
 *   before this module existed.
 * - The automated rollback (an alarm) is not a caller: it is exempt, and its use case never
 *   calls `authorize`.
 */
import { DomainError } from './errors.js';
import { lazySchema } from './lazy-schema.js';
import { ENVIRONMENT_PATTERN } from './schemas.js';
import * as z from './zod.js';

/**
 * What a use case does, as the policy names it. `rollback` also covers starting a rollback
 * run. A new use case names its action in its first step: `authorize(ports, env, 'read')`.
 */
export const ACTIONS = ['read', 'record', 'rollback'] as const;
export type Action = (typeof ACTIONS)[number];

/** The entry that applies to every environment. */
export const ANY_ENVIRONMENT = '*';

/**
 * An IAM role ARN, with or without a path: `arn:aws:iam::123456789012:role/ci-deployer`,
 * `arn:aws:iam::123456789012:role/pipelines/ci-deployer`. Role names are unique in an
 * account whatever their path, which is why a session ARN (which drops the path) can be
 * matched to one role.
 */
const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
/** The principal API Gateway passes on for a caller with assumed-role credentials. */
const SESSION_ARN = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/[\w+=,.@-]{2,64}$/;

export const RoleArn = /* @__PURE__ */ lazySchema(() =>
  z.string().check(z.regex(ROLE_ARN, 'must be an IAM role ARN, e.g. arn:aws:iam::123456789012:role/ci-deployer')),
);

const Grants = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({
    read: z.optional(z.array(RoleArn)),
    record: z.optional(z.array(RoleArn)),
    rollback: z.optional(z.array(RoleArn)),
  }),
);

const EnvironmentKey = /* @__PURE__ */ lazySchema(() =>
  z
    .string()
    .check(
      z.refine(
        (key) => key === ANY_ENVIRONMENT || ENVIRONMENT_PATTERN.test(key),
        'must be an environment name (e.g. prod) or "*"',
      ),
    ),
);

/** The policy: environment (or `*`) → action → the role ARNs allowed it. */
export const AccessPolicy = /* @__PURE__ */ lazySchema(() => z.record(EnvironmentKey, Grants));
export type AccessPolicy = z.infer<typeof AccessPolicy>;

/** Parses a policy, throwing an Error that names every bad member (for synth and init). */
export function parseAccessPolicy(value: unknown, where: string): AccessPolicy {
  const result = AccessPolicy.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => {
      const path = i.path.join('.') || '(root)';
      // zod reports a bad record key as "Invalid key in record"; say what a key must be.
      return i.code === 'invalid_key'
        ? `${path}: must be an environment name (e.g. prod) or "*"`
        : `${path}: ${i.message}`;
    });
    throw new Error(`${where} is not a valid access policy: ${problems.join('; ')}`);
  }
  return result.data;
}

/**
 * Whether `caller` (the ARN API Gateway passes on) is the role `roleArn`: an assumed-role
 * session of it (same partition, account and role name), or the role ARN itself.
 */
export function isPrincipal(roleArn: string, caller: string): boolean {
  if (caller === roleArn) return true;
  const role = ROLE_ARN.exec(roleArn);
  const session = SESSION_ARN.exec(caller);
  if (!role || !session) return false;
  return role[1] === session[1] && role[2] === session[2] && role[3] === session[3];
}

/** The pure decision: may `caller` do `action` in `environment` under `policy`? */
export function isAllowed(policy: AccessPolicy, caller: string, environment: string, action: Action): boolean {
  const entries = [policy[environment], policy[ANY_ENVIRONMENT]];
  return entries.some((grants) => (grants?.[action] ?? []).some((role) => isPrincipal(role, caller)));
}

/** A caller the access policy does not allow this action in this environment. */
export class AccessDeniedError extends DomainError {
  readonly status = 403;
  readonly title = 'Forbidden';
  constructor(
    readonly environment: string,
    readonly action: Action,
  ) {
    super(`The caller may not ${action} in environment ${environment} (access policy).`);
  }
  override extensions() {
    return { environment: this.environment, action: this.action };
  }
}

/**
 * Who is asking, and under which policy: the HTTP functions put this into the ports of each
 * request when a policy is configured. Ports without it belong to a trusted caller inside the
 * service (the automated rollback), and to every caller when no policy is configured.
 */
export interface AccessContext {
  policy: AccessPolicy;
  /** The caller's ARN as API Gateway passed it on; undefined if it passed none (denied). */
  caller: string | undefined;
}

/** Throws AccessDeniedError unless the caller may do `action` in `environment`. */
export function authorize(ports: { access?: AccessContext | undefined }, environment: string, action: Action): void {
  const access = ports.access;
  if (!access) return;
  if (access.caller === undefined || !isAllowed(access.policy, access.caller, environment, action)) {
    throw new AccessDeniedError(environment, action);
  }
}

/** Whether a policy applies to these ports (a use case may skip a read it needs only for the check). */
export const isScoped = (ports: { access?: AccessContext | undefined }): boolean => ports.access !== undefined;

/** Whether the caller may do `action` in `environment`; always true without a policy. */
export function mayAccess(ports: { access?: AccessContext | undefined }, environment: string, action: Action): boolean {
  const access = ports.access;
  return !access || (access.caller !== undefined && isAllowed(access.policy, access.caller, environment, action));
}
