/**
 * The configuration of the GitHub Actions redeploy target: a workflow the service dispatches
 * with the target version (functions/adapters/redeploy/github-actions.ts), its token in
 * Secrets Manager. One variant (`via`) of the per-environment redeploy configuration
 * (targets.ts), read by the functions and by CDK at synth (the secret's grant).
 */
import { lazySchema } from '../lazy-schema.js';
import * as z from '../zod.js';

const GitHubName = /* @__PURE__ */ lazySchema(() =>
  z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,100}$/, 'must be a GitHub owner or repository name')),
);

export const GitHubActionsTarget = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({
    via: z.literal('github-actions'),
    owner: GitHubName,
    repo: GitHubName,
    /** The workflow's file name (`rollback.yml`) or numeric id. */
    workflow: z.string().check(z.regex(/^([\w.-]+\.ya?ml|\d+)$/, 'must be a workflow file name (x.yml) or id')),
    /** The branch or tag the workflow runs on. */
    ref: z.string().check(z.minLength(1), z.maxLength(255)),
    /** The Secrets Manager secret holding the token (a fine-grained token or app token with actions:write). */
    tokenSecretArn: z
      .string()
      .check(z.regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/, 'must be a secret ARN')),
    /** GitHub's REST API; set for GitHub Enterprise Server (https://HOST/api/v3). */
    apiUrl: z._default(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }), 'https://api.github.com'),
  }),
);
export type GitHubActionsTarget = z.infer<typeof GitHubActionsTarget>;
