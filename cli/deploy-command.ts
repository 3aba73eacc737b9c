/**
 * The CLI's deploy command. The implementation is shared with the local `command` redeploy
 * target of rollback runs (functions/adapters/deploy-command.ts), so both hand a command
 * exactly the same variables.
 */
export { type DeployResult, deployEnvironment, runDeployCommand } from '../functions/adapters/deploy-command.js';
