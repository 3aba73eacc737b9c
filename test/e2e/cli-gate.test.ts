import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.js';
import { main } from '../../cli/main.js';
import { BASE, localApi } from '../support/http.js';

let api: Awaited<ReturnType<typeof localApi>>;
beforeAll(async () => {
  api = await localApi();
});
afterAll(async () => api?.stop());

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { ...process.env, PLATFORM_ROLLBACK_API_URL: api.url },
    confirm: undefined,
  });
  return { code, stdout, stderr };
}

describe('platform-rollback gate, hold and release against local mode', () => {
  it('gate exits 0 when allowed and 5 when not, printing each reason; --json prints the answer', async () => {
    await api.call('POST', BASE, { environment: 'cli', imageTag: 'v1' });
    await api.call('POST', BASE, { environment: 'cli', imageTag: 'v2' });
    const open = await cli(['gate', '--environment', 'cli', '--image-tag', 'v3']);
    expect(open).toMatchObject({ code: EXIT.ok, stdout: 'allowed  v3 may go to cli\n' });

    expect((await api.call('POST', `${BASE}/tag/v2/rollback`, { environment: 'cli', reason: 'errors' })).status).toBe(
      200,
    );
    const closed = await cli(['gate', '--environment', 'cli', '--image-tag', 'v2']);
    expect(closed.code).toBe(5);
    expect(closed.stdout).toMatch(
      /^not allowed {2}v2 may not go to cli now:\n {2}hold: cli is held since .*: v2 rolled back: errors\n {2}known-bad: v2 is known bad in cli: /,
    );
    const json = await cli(['gate', '--environment', 'cli', '--image-tag', 'v3', '--require-ready', '--json']);
    expect(json.code).toBe(5);
    expect(JSON.parse(json.stdout)).toMatchObject({
      allowed: false,
      reasons: [
        { guard: 'hold', detail: expect.any(String) },
        { guard: 'readiness', detail: 'readiness not yet checked in cli' },
      ],
    });
  });

  it('release and hold change the gate; a second release is the API error, exit 1', async () => {
    await api.call('POST', BASE, { environment: 'cli-hold', imageTag: 'v1' });
    const held = await cli(['hold', '--environment', 'cli-hold', '--reason', 'freeze for the audit']);
    expect(held.code).toBe(EXIT.ok);
    expect(held.stdout).toMatch(/^held {2}cli-hold since \S+ by local: freeze for the audit\n$/);
    expect((await cli(['gate', '-e', 'cli-hold', '--image-tag', 'v2'])).code).toBe(5);
    const released = await cli(['release', '--environment', 'cli-hold', '--reason', 'audit done']);
    expect(released).toMatchObject({
      code: EXIT.ok,
      stdout: 'released  cli-hold: forward deployments may start again\n',
    });
    expect((await cli(['gate', '-e', 'cli-hold', '--image-tag', 'v2'])).code).toBe(EXIT.ok);
    const again = await cli(['release', '--environment', 'cli-hold', '--reason', 'twice']);
    expect(again.code).toBe(EXIT.usageOrApi);
    expect(again.stderr).toContain('not held');
  });

  it('usage errors exit 1 before calling the API', async () => {
    expect((await cli(['gate', '--environment', 'cli'])).code).toBe(EXIT.usageOrApi);
    expect((await cli(['hold', '--environment', 'cli'])).code).toBe(EXIT.usageOrApi);
    expect((await cli(['release', '--environment', 'cli', '--reason', ' '])).code).toBe(EXIT.usageOrApi);
    const help = await cli(['--help']);
    expect(help.stdout).toContain('5  gate: not allowed');
    expect(help.stdout).toMatch(/\n {2}gate {14}may this version go/);
  });
});
