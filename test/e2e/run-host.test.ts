/**
 * Local mode's run host takes no run from outside: a launch is a run id with the per-launch
 * secret, the run is read from the table and run only if RUNNING and claimed, once per id.
 * What a web page (or a caller without the secret) sends to it changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RUN_HOST_PATH } from '../../infra/local/run-host.js';
import { BASE, localApi } from '../support/http.js';
import { callLog } from '../support/runs.js';

let api: Awaited<ReturnType<typeof localApi>>;
const calls = callLog();

beforeAll(async () => {
  api = await localApi({ redeployTargets: { prod: calls.target } });
});
afterAll(async () => api?.stop());

/** A POST to the run host (a browser's is told by its Sec-Fetch-Site, as a page's request carries it). */
async function launch(body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${api.url}${RUN_HOST_PATH}`, { method: 'POST', headers, body });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON members
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as any };
}
const withSecret = () => ({ authorization: `Bearer ${api.runLauncherSecret}`, 'content-type': 'application/json' });

describe('the local run host', () => {
  it('refuses a run written by the caller, whatever it carries: nothing marked, redeployed or notified', async () => {
    const v1 = (await api.call('POST', BASE, { environment: 'prod', imageTag: 'v1.0.0' })).body;
    const v2 = (await api.call('POST', BASE, { environment: 'prod', imageTag: 'v2.0.0' })).body;
    const forged = JSON.stringify({
      run: {
        id: '01JDQ5T2M8W3K9Z4X7V6B1N0CE',
        environment: 'prod',
        requestedBy: 'evil',
        current: { id: v2.id, imageTag: 'v2.0.0' },
        target: { id: v1.id, imageTag: 'v1.0.0' },
        status: 'RUNNING',
      },
    });
    const errors = vi.spyOn(console, 'error');
    try {
      // The old attack: text/plain from a page elsewhere; then without Origin but no secret.
      const fromPage = await launch(forged, { 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' });
      expect(fromPage.status).toBe(403);
      expect((await launch(forged, { 'content-type': 'application/json' })).status).toBe(401);
      const wrong = await launch(forged, { ...withSecret(), authorization: 'Bearer guess' });
      expect(wrong.status).toBe(401);
      // With the secret: a run is not what it takes, and bad input is a 400 naming the field.
      const run = await launch(forged, withSecret());
      expect(run.status).toBe(400);
      expect(run.type).toBe('application/problem+json');
      expect(run.body.errors).toEqual([
        { field: 'runId', message: 'is required' },
        { field: 'run', message: 'is not a member this route accepts' },
      ]);
      const garbage = await launch('garbage', withSecret());
      expect(garbage.status).toBe(400);
      expect(garbage.body.errors).toEqual([{ field: 'body', message: 'is not valid JSON' }]);
      const malformed = await launch(JSON.stringify({ runId: 'x' }), withSecret());
      expect(malformed.status).toBe(400);
      expect(malformed.body.errors[0].field).toBe('runId');
      // A well-formed id of no run: nothing to run.
      const unknown = await launch(JSON.stringify({ runId: '01JDQ5T2M8W3K9Z4X7V6B1N0CE' }), withSecret());
      expect(unknown.status).toBe(404);
      // Bad input is an answer, not a fault: no stack trace in the server's log.
      expect(errors).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
    }
    expect((await api.call('GET', `${BASE}/${v2.id}`)).body.status).toBe('DEPLOYED');
    expect((await api.call('GET', `${BASE}/environments`)).body.items[0]).toMatchObject({ activeRun: null });
    expect((await api.call('GET', `${BASE}/rollbacks?environment=prod`)).body.items).toEqual([]);
    expect(calls.lines()).toEqual([]);
  });

  it('runs a started run once, however often its id is launched, and never again once it ended', async () => {
    const started = await api.call('POST', `${BASE}/rollbacks`, { environment: 'prod', reason: 'v2 is bad' });
    expect(started.status).toBe(202);
    const runId = started.body.id;
    const again = await Promise.all([1, 2, 3].map(() => launch(JSON.stringify({ runId }), withSecret())));
    expect(again.map((a) => a.status)).toEqual([202, 202, 202]);
    const run = await api.untilRun(runId);
    expect(run.status).toBe('SUCCEEDED');
    expect(calls.lines()).toEqual(['v1.0.0']);
    const ended = await launch(JSON.stringify({ runId }), withSecret());
    expect(ended.status).toBe(202);
    expect(calls.lines()).toEqual(['v1.0.0']);
  });
});
