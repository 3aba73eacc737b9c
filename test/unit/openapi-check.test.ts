import { describe, expect, it } from 'vitest';
import { violations } from '../support/openapi.js';

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
      }),
    ).toEqual([]);
    expect(
      violations({
        method: 'POST',
        path: `${BASE}/tag/v1/rollback`,
        status: 409,
        contentType: 'application/problem+json',
        text: problem(409, { currentStatus: 'FAILED' }),
      }),
    ).toEqual([]);
    expect(
      violations({
        method: 'GET',
        path: '/nope',
        status: 404,
        contentType: 'application/problem+json',
        text: problem(404),
      }),
    ).toEqual([]);
    expect(
      violations({
        method: 'DELETE',
        path: `${BASE}/history`,
        status: 405,
        contentType: 'application/problem+json',
        text: problem(405),
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
      }),
    ).not.toEqual([]);
    expect(
      violations({
        method: 'GET',
        path: `${BASE}/tag/v1`,
        status: 200,
        contentType: json,
        text: JSON.stringify({ ...record, extra: 1 }),
      }),
    ).not.toEqual([]);
    expect(
      violations({
        method: 'GET',
        path: `${BASE}/tag/v1`,
        status: 200,
        contentType: json,
        text: JSON.stringify({ ...record, status: 'GONE' }),
      }),
    ).not.toEqual([]);
    expect(
      violations({
        method: 'GET',
        path: '/nope',
        status: 404,
        contentType: 'application/problem+json',
        text: '{"title":"x"}',
      }),
    ).not.toEqual([]);
  });

  it('refuses a miss answered with anything but the fallback status', () => {
    expect(violations({ method: 'GET', path: '/nope', status: 200, contentType: json, text: '{}' })[0]).toMatch(
      /must get 404/,
    );
  });
});
