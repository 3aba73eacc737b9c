import { describe, expect, it } from 'vitest';
import { type Answer, violations } from '../support/openapi.js';

const BASE = '/api/v1/platform/deployments';
const record = {
  id: '01JDQ5T2M8W3K9Z4X7V6B1N0CE',
  environment: 'prod',
  imageTag: 'v2.1.0-abc1234',
  imageDigest: null,
  status: 'DEPLOYED',
  deployedAt: '2026-11-27T10:00:00.000Z',
  deployedBy: 'local',
  version: null,
  commitSha: null,
  commitAt: null,
  notes: null,
  migrations: [],
  pipelineRunUrl: null,
  rollbackOf: null,
  rolledBackAt: null,
  rolledBackBy: null,
  rollbackReason: null,
  override: null,
  updatedAt: '2026-11-27T10:00:00.000Z',
};
const json = 'application/json';
const problem = (status: number, extra: object = {}) =>
  JSON.stringify({ type: 'urn:platform-rollback:problem:x', title: 'X', status, detail: 'd', ...extra });

// The e2e helpers rely on this check; here it is shown to fail where it must.
describe('the e2e response check against docs/openapi.json', () => {
  it('accepts answers as documented', () => {
    expect(
      violations({
        method: 'GET',
        path: `${BASE}/tag/v1`,
        status: 200,
        contentType: json,
        text: JSON.stringify(record),
        headers: {},
      }),
    ).toEqual([]);
    expect(
      violations({
        method: 'POST',
        path: `${BASE}/tag/v1/rollback`,
        status: 409,
        contentType: 'application/problem+json',
        text: problem(409, { currentStatus: 'FAILED' }),
        headers: {},
      }),
    ).toEqual([]);
    expect(
      violations({
        method: 'GET',
        path: '/nope',
        status: 404,
        contentType: 'application/problem+json',
        text: problem(404),
        headers: {},
      }),
    ).toEqual([]);
    expect(
      violations({
        method: 'DELETE',
        path: `${BASE}/history`,
        status: 405,
        contentType: 'application/problem+json',
        text: problem(405),
        headers: { allow: 'GET' },
      }),
    ).toEqual([]);
  });

  it('refuses a status the operation does not document', () => {
    expect(
      violations({
        method: 'GET',
        path: `${BASE}/history`,
        status: 404,
        contentType: 'application/problem+json',
        text: problem(404),
        headers: {},
      })[0],
    ).toMatch(/status 404 is not documented for ListHistory/);
  });

  it('refuses another content type', () => {
    expect(
      violations({
        method: 'GET',
        path: `${BASE}/tag/v1`,
        status: 200,
        contentType: 'text/plain',
        text: JSON.stringify(record),
        headers: {},
      })[0],
    ).toMatch(/content type text\/plain/);
  });

  it('refuses a body that breaks the schema: a missing member, an extra one, a wrong type', () => {
    const { updatedAt: _, ...missing } = record;
    expect(
      violations({
        method: 'GET',
        path: `${BASE}/tag/v1`,
        status: 200,
        contentType: json,
        text: JSON.stringify(missing),
        headers: {},
      }),
    ).not.toEqual([]);
    expect(
      violations({
        method: 'GET',
        path: `${BASE}/tag/v1`,
        status: 200,
        contentType: json,
        text: JSON.stringify({ ...record, extra: 1 }),
        headers: {},
      }),
    ).not.toEqual([]);
    expect(
      violations({
        method: 'GET',
        path: `${BASE}/tag/v1`,
        status: 200,
        contentType: json,
        text: JSON.stringify({ ...record, status: 'GONE' }),
        headers: {},
      }),
    ).not.toEqual([]);
    expect(
      violations({
        method: 'GET',
        path: '/nope',
        status: 404,
        contentType: 'application/problem+json',
        text: '{"title":"x"}',
        headers: {},
      }),
    ).not.toEqual([]);
  });

  it('refuses a miss answered with anything but the fallback status', () => {
    expect(
      violations({ method: 'GET', path: '/nope', status: 200, contentType: json, text: '{}', headers: {} })[0],
    ).toMatch(/must get 404/);
  });

  const denied = (status: number, extra: object) =>
    JSON.stringify({
      type: 'urn:platform-rollback:problem:forbidden',
      title: 'Forbidden',
      status,
      detail: 'd',
      ...extra,
    });
  const history: Omit<Answer, 'status' | 'contentType' | 'text' | 'headers'> = {
    method: 'GET',
    path: `${BASE}/history`,
  };

  it("tells the service's 403 problem from API Gateway's by content type, and requires environment and action", () => {
    const problemJson = 'application/problem+json';
    const ok403 = { ...history, status: 403, headers: {} };
    expect(
      violations({ ...ok403, contentType: problemJson, text: denied(403, { environment: 'prod', action: 'read' }) }),
    ).toEqual([]);
    expect(violations({ ...ok403, contentType: json, text: '{"message":"Forbidden"}' })).toEqual([]);
    expect(violations({ ...ok403, contentType: problemJson, text: denied(403, { environment: 'prod' }) })).not.toEqual(
      [],
    );
    expect(
      violations({ ...ok403, contentType: problemJson, text: denied(403, { environment: 'prod', action: 'delete' }) }),
    ).not.toEqual([]);
    // A route whose use case never checks the policy gets only API Gateway's 403.
    expect(
      violations({
        ...ok403,
        path: `${BASE}/environments`,
        contentType: problemJson,
        text: denied(403, { environment: 'prod', action: 'read' }),
        headers: {},
      })[0],
    ).toMatch(/content type application\/problem\+json is not one of application\/json/);
  });

  it('requires the headers the document requires: Retry-After on a 503, Allow on a 405, Location on a 201', () => {
    const unavailable = { ...history, status: 503, contentType: 'application/problem+json', text: problem(503) };
    expect(violations({ ...unavailable, headers: { 'retry-after': '1' } })).toEqual([]);
    expect(violations({ ...unavailable, headers: {} })[0]).toMatch(/requires the header Retry-After/);
    const notAllowed = {
      method: 'DELETE',
      path: `${BASE}/history`,
      status: 405,
      contentType: 'application/problem+json',
      text: problem(405),
    };
    expect(violations({ ...notAllowed, headers: new Headers() })[0]).toMatch(/requires the header Allow/);
    expect(
      violations({
        method: 'POST',
        path: BASE,
        status: 201,
        contentType: json,
        text: JSON.stringify(record),
        headers: {},
      })[0],
    ).toMatch(/requires the header Location/);
    expect(
      violations({
        method: 'POST',
        path: BASE,
        status: 201,
        contentType: json,
        text: JSON.stringify(record),
        headers: { Location: `${BASE}/${record.id}` },
      }),
    ).toEqual([]);
  });

  it('refuses statuses no operation declares: 202 on history, 413 on a route that takes no body', () => {
    const text = problem(413);
    const contentType = 'application/problem+json';
    expect(violations({ ...history, status: 413, contentType, text, headers: {} })[0]).toMatch(
      /status 413 is not documented for ListHistory/,
    );
    expect(violations({ ...history, status: 202, contentType: json, text: '{}', headers: {} })[0]).toMatch(
      /status 202 is not documented/,
    );
  });
});
