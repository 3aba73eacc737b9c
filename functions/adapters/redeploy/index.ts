/**
 * Builds the Redeployer for an environment's configured target: one adapter per `via`.
 * `callback` and `command` are built by the rollback run's own factory; this one covers the
 * AWS and GitHub targets, and the run's factory delegates to it for those three.
 */
import type { Redeployer } from '../../core/redeploy/port.js';
import type { ExternalRedeployTarget } from '../../core/redeploy/targets.js';
import { CodePipelineRedeployer, type CodePipelineRedeployerOptions } from './codepipeline.js';
import { EcsRedeployer, type EcsRedeployerOptions } from './ecs.js';
import { GitHubActionsRedeployer, type GitHubActionsRedeployerOptions } from './github-actions.js';

export type RedeployerOptions = EcsRedeployerOptions & CodePipelineRedeployerOptions & GitHubActionsRedeployerOptions;

/** The Redeployer of one configured target (built once per cold start and reused: it caches credentials and tokens). */
export function redeployerFor(target: ExternalRedeployTarget, options: RedeployerOptions = {}): Redeployer {
  switch (target.via) {
    case 'ecs':
      return new EcsRedeployer(target, options);
    case 'codepipeline':
      return new CodePipelineRedeployer(target, options);
    case 'github-actions':
      return new GitHubActionsRedeployer(target, options);
  }
}
