/**
 * Time to restore, the service's own part: how long a rollback run adds to the redeploy it
 * makes, in local mode, with a redeploy that takes no time (a command that exits at once) and
 * no bake. Two spans per run: from the alarm event reaching the auto-rollback handler to the
 * redeploy starting, and from the redeploy ending to the run recorded (the redeploy record
 * finished DEPLOYED). The probe (bench/restore-probe.ts) runs in its own process.
 */
import { spawn } from 'node:child_process';
import { ROOT } from './lib/paths.js';
import { quantile } from './lib/stats.js';

export interface Restore {
  runs: number;
  toRedeploy: { p50: number; p99: number };
  toRecorded: { p50: number; p99: number };
  /** Of `toRedeploy`: alarm to the redeploy step's start (the run's earlier steps). */
  toStep: { p50: number; p99: number };
  /** The two spans added per run, then the quantiles of the sums. */
  total: { p50: number; p99: number };
}

/** Runs the probe with `runs` runs and reduces its samples to p50 and p99 per span. */
export async function measureRestore(runs: number): Promise<Restore> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/restore-probe.ts', '--runs', String(runs)], {
      cwd: ROOT,
      env: { ...process.env, AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1', POWERTOOLS_LOG_LEVEL: 'ERROR' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`restore probe exited ${code}: ${stderr.slice(-1000)}`)),
    );
  });
  const samples = (
    JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
      runs: { toRedeployMs: number; toRecordedMs: number; toStepMs: number }[];
    }
  ).runs;
  if (samples.length !== runs) throw new Error(`the restore probe measured ${samples.length} runs of ${runs}`);
  const spread = (values: number[]) => ({ p50: quantile(values, 0.5), p99: quantile(values, 0.99) });
  return {
    runs: samples.length,
    toRedeploy: spread(samples.map((s) => s.toRedeployMs)),
    toRecorded: spread(samples.map((s) => s.toRecordedMs)),
    toStep: spread(samples.map((s) => s.toStepMs)),
    total: spread(samples.map((s) => s.toRedeployMs + s.toRecordedMs)),
  };
}
