import { describe, expect, it } from 'vitest';
import { attemptTimeoutMs, pollHealth } from '../../cli/health.js';
import { main, parseDuration } from '../../cli/main.js';
import { formatDuration, Output } from '../../cli/output.js';
import { deployEnvironment } from '../../functions/adapters/deploy-command.js';
import { deploymentFixture } from '../support/fixtures.js';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

/** main() with a fetch that records each request and answers an empty history page. */
async function run(args: string[], env: Record<string, string> = {}, localStackUrl?: string) {
  const requests: { url: string; headers: Headers }[] = [];
  const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    requests.push({ url: String(input), headers: new Headers(init?.headers) });
    return new Response(JSON.stringify({ items: [], nextCursor: null }), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof fetch;
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
    fetch: fakeFetch,
    credentials: CREDENTIALS,
    confirm: undefined,
    // Never the developer's own running `npm start`: each test says whether one runs.
    localStackUrl: () => localStackUrl,
  });
  return { code, stdout, stderr, requests };
}

describe('which API: --api-url, PLATFORM_ROLLBACK_API_URL, else the local stack npm start runs here', () => {
  it('uses the running local stack when no URL is given, and says so on stderr', async () => {
    const { code, stderr, requests } = await run(['history', '-e', 'prod'], {}, 'http://127.0.0.1:3999');
    expect(code).toBe(0);
    expect(requests.map((r) => r.url)).toEqual([
      'http://127.0.0.1:3999/api/v1/platform/deployments/history?environment=prod',
    ]);
    expect(requests[0]?.headers.get('authorization')).toBeNull();
    expect(stderr).toContain('Using the local stack at http://127.0.0.1:3999');
  });

  it('prefers a given URL to the local stack', async () => {
    const { requests } = await run(
      ['history', '-e', 'prod'],
      { PLATFORM_ROLLBACK_API_URL: 'http://localhost:4000' },
      'http://127.0.0.1:3999',
    );
    expect(requests[0]?.url).toMatch(/^http:\/\/localhost:4000\//);
  });

  it('without either, asks for a URL or npm start (exit 1, nothing sent)', async () => {
    const { code, stderr, requests } = await run(['history', '-e', 'prod']);
    expect(code).toBe(1);
    expect(requests).toEqual([]);
    expect(stderr).toContain('--api-url (or PLATFORM_ROLLBACK_API_URL) is required: no local stack runs here');
    expect(stderr).toContain('start one with npm start');
  });
});

describe('signing: local mode unsigned, the deployed API signed', () => {
  it('sends plain requests to 127.0.0.1 and localhost', async () => {
    const { code, requests } = await run(['history', '-e', 'prod', '--api-url', 'http://localhost:3000']);
    expect(code).toBe(0);
    expect(requests[0]?.headers.get('authorization')).toBeNull();
  });

  it('signs for execute-api in the region of the host, and --no-sign turns it off', async () => {
    const url = 'https://abc123defg.execute-api.eu-central-1.amazonaws.com';
    const signed = await run(['history', '-e', 'prod'], { PLATFORM_ROLLBACK_API_URL: url });
    expect(signed.requests[0]?.headers.get('authorization')).toContain('/eu-central-1/execute-api/aws4_request');
    const unsigned = await run(['history', '-e', 'prod', '--no-sign'], { PLATFORM_ROLLBACK_API_URL: url });
    expect(unsigned.requests[0]?.headers.get('authorization')).toBeNull();
  });

  it('--sign signs even local mode; --region (or AWS_REGION) is needed where the host does not name one', async () => {
    const local = await run(['history', '-e', 'prod', '--sign', '--region', 'us-east-2'], {
      PLATFORM_ROLLBACK_API_URL: 'http://127.0.0.1:3000',
    });
    expect(local.requests[0]?.headers.get('authorization')).toContain('/us-east-2/execute-api/');
    const custom = await run(['history', '-e', 'prod', '--api-url', 'https://deploy.example.com']);
    expect(custom.code).toBe(1);
    expect(custom.stderr).toContain('--region (or AWS_REGION) is required');
    expect(custom.requests).toHaveLength(0);
  });
});

describe('usage', () => {
  it('prints help with the commands and the exit codes', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    for (const name of ['rollback', 'plan', 'history', 'target', 'exists', 'record', 'mark-rolled-back']) {
      expect(stdout).toContain(`  ${name} `);
    }
    expect(stdout).toContain('4  unhealthy after the rollback');
  });

  it('names every variable the deploy command gets', async () => {
    const { stdout } = await run(['--help']);
    const record = deploymentFixture();
    const names = Object.keys(deployEnvironment('prod', record, record));
    expect(names).toHaveLength(8);
    const help = stdout.slice(stdout.indexOf('--deploy-command'), stdout.indexOf('--health-url'));
    for (const name of names) expect(help).toMatch(new RegExp(`\\b${name}\\b`));
  });

  it.each([
    [['rollback', '-e', 'prod'], '--deploy-command (or PLATFORM_ROLLBACK_DEPLOY_COMMAND) is required'],
    [['rollback', '-e', 'Prod!', '--deploy-command', 'x'], '--environment must be 1-32 lowercase'],
    [['history', '--environment', 'prod', '--to', 'v1'], 'history does not take --to'],
    [['history', '-e', 'prod', '--limit', '0'], '--limit must be a whole number from 1 to 100'],
    [['history', '-e', 'prod', '--bogus'], "Unknown option '--bogus'"],
    [
      ['rollback', '-e', 'prod', '--deploy-command', 'x', '--health-interval', 'soon'],
      '--health-interval must be a duration',
    ],
    [['launch'], 'unknown command "launch"'],
  ])('%j is a usage error (exit 1), before any request', async (args, message) => {
    const { code, stderr, requests } = await run(args, { PLATFORM_ROLLBACK_API_URL: 'http://127.0.0.1:3000' });
    expect(code).toBe(1);
    expect(stderr).toContain(message);
    expect(requests).toHaveLength(0);
  });

  it('--json prints the usage error as one JSON object on stdout', async () => {
    const { code, stdout } = await run(['history', '--json'], { PLATFORM_ROLLBACK_API_URL: 'http://127.0.0.1:3000' });
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual({
      ok: false,
      exitCode: 1,
      error: { title: 'Usage error', detail: '--environment is required' },
    });
  });

  it('reads durations as ms, s or m (a plain number is seconds)', () => {
    expect([parseDuration('500ms', 'x'), parseDuration('2s', 'x'), parseDuration('1.5', 'x')]).toEqual([
      500, 2000, 1500,
    ]);
    expect(parseDuration('2m', 'x')).toBe(120_000);
    expect(() => parseDuration('-1s', 'x')).toThrow('must be a duration');
  });
});

describe('pollHealth', () => {
  const answers = (statuses: (number | Error)[]) => {
    let i = 0;
    return (async () => {
      const next = statuses[Math.min(i++, statuses.length - 1)];
      if (next instanceof Error) throw next;
      return new Response(null, { status: next });
    }) as unknown as typeof fetch;
  };

  it('needs N 2xx in a row: a failure in between starts the count again', async () => {
    const result = await pollHealth('http://h', {
      successes: 3,
      intervalMs: 1,
      timeoutMs: 2000,
      fetch: answers([200, 200, 503, 200, new Error('ECONNRESET'), 200, 204, 200]),
    });
    expect(result).toMatchObject({ healthy: true, attempts: 8, consecutive: 3, lastStatus: 200 });
  });

  it('gives up at the timeout with the last answer, starting no attempt after it', async () => {
    const result = await pollHealth('http://h', {
      successes: 1,
      intervalMs: 20,
      timeoutMs: 150,
      fetch: answers([500]),
    });
    expect(result).toMatchObject({ healthy: false, lastStatus: 500 });
    // Each attempt waits 20 ms before the next: however slow the machine, at most 150 / 20 + 1.
    expect(result.attempts).toBeGreaterThanOrEqual(1);
    expect(result.attempts).toBeLessThanOrEqual(8);
  });

  it('an attempt that outlasts the timeout still gets its answer: the last status is named', async () => {
    // A server slower than the whole timeout (a loaded machine): the attempt is bounded by its
    // own limit (attemptTimeoutMs), not cut off at the deadline, so the 503 is what is reported.
    const slow = (async (_url: string, init?: RequestInit) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (init?.signal?.aborted) throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
      return new Response(null, { status: 503 });
    }) as unknown as typeof fetch;
    const result = await pollHealth('http://h', { successes: 3, intervalMs: 50, timeoutMs: 100, fetch: slow });
    expect(attemptTimeoutMs(50)).toBe(1000);
    expect(result).toMatchObject({ healthy: false, attempts: 1, lastStatus: 503, lastError: undefined });
  });

  it('keeps the last answer when a later attempt gets none', async () => {
    const result = await pollHealth('http://h', {
      successes: 1,
      intervalMs: 1,
      timeoutMs: 30,
      fetch: answers([503, new Error('ECONNREFUSED')]),
    });
    expect(result).toMatchObject({ healthy: false, lastStatus: 503, lastError: 'ECONNREFUSED' });
  });
});

describe('Output', () => {
  const sink = (isTTY: boolean) => {
    const sinkState = { text: '', isTTY, write: (s: string) => (sinkState.text += s) };
    return sinkState;
  };

  it('draws a spinner on a terminal only', () => {
    const tty = sink(true);
    const progress = new Output(tty, sink(false), false).progress('deploying');
    progress.update('still deploying');
    progress.stop();
    expect(tty.text).toContain('⠋ deploying');
    expect(tty.text).toContain('still deploying');
    expect(tty.text.endsWith('\r\x1b[2K')).toBe(true);

    const pipe = sink(false);
    new Output(pipe, sink(false), false).progress('deploying').stop();
    expect(pipe.text).toBe('');
  });

  it('keeps stdout for the JSON object in --json mode: lines vanish, deploy output goes to stderr', () => {
    const stdout = sink(false);
    const stderr = sink(false);
    const out = new Output(stdout, stderr, true);
    out.line('✓ 1/5');
    out.passthrough('deploy log\n', 'stdout');
    out.result({ ok: true });
    expect(JSON.parse(stdout.text)).toEqual({ ok: true });
    expect(stderr.text).toBe('deploy log\n');
  });

  it('formats durations for step lines', () => {
    expect([formatDuration(40), formatDuration(3200), formatDuration(65_000)]).toEqual(['0.04s', '3.20s', '1m 05s']);
  });
});

describe('Output around a deploy command on a terminal', () => {
  it('does not draw over (or erase) a line the command has not finished', () => {
    const screen = { text: '', isTTY: true, write: (s: string) => (screen.text += s) };
    const out = new Output(screen, screen, false);
    const progress = out.progress('deploying');
    screen.text = '';
    out.passthrough('Pulling image... ', 'stdout');
    out.passthrough('done\n', 'stdout');
    progress.stop();
    expect(screen.text).toBe('\r\x1b[2KPulling image... done\n\r\x1b[2K⠙ deploying\r\x1b[2K');
  });
});
