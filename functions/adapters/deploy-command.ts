/**
 * Runs the team's own deploy command for the target version. Neither the CLI nor the local
 * `command` redeploy target knows how a team deploys (ECS, Helm, CDK, a script); both hand the
 * target over in the same environment variables (one definition, here) and pass the
 * command's output on, so the log shows what the deploy did.
 */
import { spawn } from 'node:child_process';
import type { Deployment } from '../core/deployment.js';

export interface DeployResult {
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
}

/** The environment variables the deploy command receives (documented in the README). */
export function deployEnvironment(
  environment: string,
  target: Deployment,
  current: Deployment,
): Record<string, string> {
  return {
    IMAGE_TAG: target.imageTag,
    ENVIRONMENT: environment,
    TARGET_DEPLOYMENT_ID: target.id,
    TARGET_VERSION: target.version ?? '',
    TARGET_IMAGE_DIGEST: target.imageDigest ?? '',
    TARGET_COMMIT_SHA: target.commitSha ?? '',
    ROLLBACK_OF: current.id,
    ROLLBACK_OF_IMAGE_TAG: current.imageTag,
  };
}

/**
 * Runs `command` with `sh -c`, passing each chunk of its stdout and stderr to `onOutput`.
 * A command still running after `timeoutMs` is terminated and counts as failed.
 */
export function runDeployCommand(
  command: string,
  vars: Record<string, string>,
  options: {
    onOutput: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
    timeoutMs?: number | undefined;
    env?: NodeJS.ProcessEnv;
  },
): Promise<DeployResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], {
      env: { ...(options.env ?? process.env), ...vars },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGTERM');
        }, options.timeoutMs)
      : undefined;
    child.stdout.on('data', (chunk: Buffer) => options.onOutput(chunk, 'stdout'));
    child.stderr.on('data', (chunk: Buffer) => options.onOutput(chunk, 'stderr'));
    const finish = (exitCode: number | null, signal: string | null) => {
      if (timer) clearTimeout(timer);
      resolve({ ok: exitCode === 0 && !timedOut, exitCode, signal, timedOut, durationMs: Date.now() - started });
    };
    child.on('error', () => finish(null, null));
    child.on('close', (code, signal) => finish(code, signal));
  });
}
