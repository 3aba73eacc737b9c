import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { createService } from '../../infra/app.js';
import { REPO_ROOT } from '../../infra/bundling.js';

/** The parts of validation-report.json this test reads. */
interface PluginReport {
  pluginName: string;
  conclusion: string;
  violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
  suppressedViolations?: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
}

const cdkContext = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context;
const GUARD = 'cdk-validator-cfnguard';
/** `rule construct-path` for each construct a rule names. */
const findings = (violations: PluginReport['violations'] = []) =>
  violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}`));

describe('AWS Control Tower proactive controls (cfn-guard)', () => {
  it("run on every synth of the app: the service's stacks pass them, a queue without a dead-letter queue fails the synth", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'cfn-guard-test-'));
    try {
      // The app as `cdk synth` builds it, with cdk.json's context; the functions are not bundled
      // (their code is no property a rule reads), which keeps this synth to seconds.
      const { app, stateless } = createService({
        context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] },
        outdir,
      });
      // Plus a stack of its own with one queue that breaks CT.SQS.PR.1 (sqs_dlq_check) and no
      // other guard rule: encrypted, TLS only. cdk-nag's finding for the same fault is
      // acknowledged, so the guard alone has to refuse the synth.
      const broken = new Stack(app, 'GuardBreaker');
      const queue = new Queue(broken, 'NoDeadLetterQueue', {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
      });
      Validations.of(queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This test wants only the cfn-guard finding for the missing dead-letter queue.',
      });

      expect(() => app.synth()).toThrow(/sqs_dlq_check/);

      // The report is written before the synth throws.
      const reports: PluginReport[] = JSON.parse(
        readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'),
      ).pluginReports;
      const guard = reports.find((r) => r.pluginName === GUARD);
      expect(guard?.conclusion).toBe('failure');
      // The queue is the only violation: every rule passes on the service's two stacks, or is
      // acknowledged there with its reason (service.test.ts checks the reasons).
      expect(findings(guard?.violations)).toEqual([`sqs_dlq_check ${queue.node.defaultChild?.node.path}`]);
      // They were checked, not skipped: the API stack's acknowledged findings are in the report.
      const checked = new Set(findings(guard?.suppressedViolations).map((f) => f.split(' ')[1]?.split('/')[0]));
      expect(checked).toContain(stateless.node.id);
      // And no other plugin failed: the refusal is the guard's.
      expect(reports.filter((r) => r.pluginName !== GUARD && r.conclusion !== 'success')).toEqual([]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
