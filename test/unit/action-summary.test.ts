import { describe, expect, it } from 'vitest';
import { cell, link, SUMMARY_SECTIONS, stepSummary } from '../../cli/action-summary.js';
import type { Run } from '../../functions/core/run.js';

const record = (id: string, imageTag: string, extra: object = {}) => ({ id, imageTag, environment: 'prod', ...extra });
const CURRENT = record('01JC0000000000000000000000', 'v1.1.0');
const TARGET = record('01JB0000000000000000000000', 'v1.0.0');

describe('the step summary', () => {
  it('a rollback: outcome, target and current tags, the redeploy record and all five steps', () => {
    const summary = stepSummary(
      {
        command: 'rollback',
        ok: true,
        exitCode: 0,
        message: 'prod runs v1.0.0 again',
        environment: 'prod',
        current: CURRENT,
        target: TARGET,
        record: record('01JD0000000000000000000000', 'v1.0.0', {
          rollbackOf: CURRENT.id,
          pipelineRunUrl: 'https://github.com/acme/shop/actions/runs/42',
        }),
        steps: [
          { step: 1, name: 'identify the target', status: 'ok', durationMs: 1, detail: 'v1.0.0' },
          { step: 2, name: 'mark', status: 'ok', durationMs: 1, detail: 'marked' },
          { step: 3, name: 'deploy', status: 'ok', durationMs: 1, detail: 'deployed' },
          { step: 4, name: 'record', status: 'ok', durationMs: 1, detail: 'recorded' },
          { step: 5, name: 'verify', status: 'skipped', durationMs: 0, detail: 'no --health-url given' },
        ],
      },
      { command: 'rollback', exitCode: 0 },
    );
    expect(summary).toContain('### platform-rollback rollback: prod');
    expect(summary).toContain('✅ **prod runs v1.0.0 again** (exit code 0: done)');
    expect(summary).toContain('| current (rolled back) | `v1.1.0` (`01JC0000000000000000000000`) |');
    expect(summary).toContain('| target | `v1.0.0` (`01JB0000000000000000000000`) |');
    expect(summary).toContain(
      '| redeploy record | `01JD0000000000000000000000` (rollbackOf `01JC0000000000000000000000`) |',
    );
    expect(summary).toContain(
      '| workflow run | [https://github.com/acme/shop/actions/runs/42](https://github.com/acme/shop/actions/runs/42) |',
    );
    expect(summary).toContain('| 1 | identify the target | ✅ done | v1.0.0 |');
    expect(summary).toContain('| 5 | verify health | ➖ skipped | no --health-url given |');
  });

  it('a failed rollback lists the steps it never reached', () => {
    const summary = stepSummary(
      {
        command: 'rollback',
        ok: false,
        exitCode: 3,
        message: 'Deploy of v1.0.0 failed (exited with 9)',
        environment: 'prod',
        current: CURRENT,
        target: TARGET,
        record: null,
        steps: [
          { step: 1, name: 'identify', status: 'ok', durationMs: 1, detail: 'v1.0.0' },
          { step: 2, name: 'mark', status: 'ok', durationMs: 1, detail: 'marked' },
          { step: 3, name: 'deploy', status: 'failed', durationMs: 1, detail: 'exited with 9' },
        ],
      },
      { command: 'rollback', exitCode: 3 },
    );
    expect(summary).toContain('❌ **Deploy of v1.0.0 failed (exited with 9)** (exit code 3: the deploy failed');
    expect(summary).toContain('| redeploy record | – |');
    expect(summary).toContain('| 3 | deploy the target | ❌ failed | exited with 9 |');
    expect(summary).toContain('| 4 | record the new deployment | ⏸️ not reached |  |');
    expect(summary).toContain('| 5 | verify health | ⏸️ not reached |  |');
  });

  it('a rollback run: the run, its redeploy link and its steps as the service reports them', () => {
    const run: Run = {
      id: '01JE0000000000000000000000',
      environment: 'prod',
      trigger: 'manual',
      alarm: null,
      requestedBy: 'local',
      reason: 'p99',
      current: { id: CURRENT.id, imageTag: CURRENT.imageTag },
      target: { id: TARGET.id, imageTag: TARGET.imageTag, imageDigest: null },
      redeploy: {
        via: 'github-actions',
        deploymentId: '01JD0000000000000000000000',
        externalId: '77',
        url: 'https://github.com/acme/shop/actions/runs/77',
      },
      status: 'SUCCEEDED',
      steps: [
        { name: 'identify', status: 'SUCCEEDED', startedAt: null, endedAt: null, detail: 'v1.0.0' },
        { name: 'checks', status: 'SUCCEEDED', startedAt: null, endedAt: null, detail: 'all passed' },
        { name: 'verify', status: 'SKIPPED', startedAt: null, endedAt: null, detail: null },
      ],
      failure: null,
      startedAt: '2026-12-02T10:00:00.000Z',
      endedAt: '2026-12-02T10:01:00.000Z',
    };
    const summary = stepSummary(
      { command: 'rollback', viaService: true, ok: true, exitCode: 0, message: 'healthy', environment: 'prod', run },
      { command: 'rollback', exitCode: 0 },
    );
    expect(summary).toContain('| rollback run | `01JE0000000000000000000000` ✅ succeeded |');
    expect(summary).toContain('| redeploy | [github-actions 77](https://github.com/acme/shop/actions/runs/77) |');
    expect(summary).toContain('| redeploy record | `01JD0000000000000000000000` |');
    expect(summary).toContain('| – | checks | ✅ succeeded | all passed |');
    expect(summary).toContain('| 5 | verify | ➖ skipped |  |');
  });

  it('a usage or input error: the outcome and the error, no section', () => {
    const summary = stepSummary(
      { ok: false, exitCode: 1, error: { title: 'Input error', detail: 'input command must be rollback or plan' } },
      { command: undefined, exitCode: 1 },
    );
    expect(summary).toBe(
      '### platform-rollback\n\n❌ **Input error** (exit code 1: usage error, or the API answered with an error)\n\n' +
        '> Input error: input command must be rollback or plan\n',
    );
    expect(stepSummary(undefined, { command: 'rollback', exitCode: 1 })).toContain('❌ **failed** (exit code 1');
  });

  it('escapes what it did not write: a pipe, a line break and HTML stay inside their cell', () => {
    expect(cell('a | b\nc <img src=x>')).toBe('a \\| b<br>c &lt;img src=x&gt;');
    const summary = stepSummary(
      {
        command: 'plan',
        exitCode: 0,
        environment: 'prod',
        current: CURRENT,
        target: TARGET,
        steps: [{ step: 1, name: 'identify', status: 'planned', durationMs: 0, detail: 'notes: x | y\n## z' }],
      },
      { command: 'plan', exitCode: 0 },
    );
    expect(summary).toContain('| 1 | identify the target | 📝 planned | notes: x \\| y<br>## z |');
    expect(summary.split('\n').filter((l) => l.startsWith('## '))).toEqual([]);
  });

  it('links only http(s) URLs, and keeps a parenthesis from ending the link', () => {
    expect(link('run', 'javascript:alert(1)')).toBe('run');
    expect(link('run', 'https://ci.example.com/a(1)')).toBe('[run](https://ci.example.com/a%281%29)');
  });

  it('is open to new commands: a section registered under a name is used for that command', () => {
    SUMMARY_SECTIONS.gate = (report) => [`allowed: ${String(report.allowed)}`];
    try {
      expect(stepSummary({ allowed: false, environment: 'prod' }, { command: 'gate', exitCode: 1 })).toContain(
        '\nallowed: false\n',
      );
    } finally {
      delete SUMMARY_SECTIONS.gate;
    }
  });
});
