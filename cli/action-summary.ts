/**
 * The GitHub Action's step summary (the Markdown the runner shows on the run's page, from the
 * file named by GITHUB_STEP_SUMMARY): what the command did, read from the CLI's report.
 *
 * Each command has its section in SUMMARY_SECTIONS, keyed by the command's name: a new command
 * of the action adds its entry there and nothing else changes. Every summary starts with the
 * outcome line (the report's message and the exit code); a command without a section, or a
 * failure before the command ran (a usage or input error), gets that line and the error.
 *
 * Text from the API or the deploy command is escaped for a table cell (`|`, line breaks, HTML),
 * so a record's notes cannot break the table or add markup.
 */

import type { Deployment } from '../functions/core/deployment.js';
import { PROCESS_STEPS, processStepNumber, type Run } from '../functions/core/run.js';
import { EXIT } from './exit-codes.js';
import { STEP_NAMES, type StepResult } from './rollback.js';

/** The CLI's report, as the action receives it (its `--json` object). */
export type Report = Record<string, unknown>;

export interface SummaryContext {
  /** The command the action ran (`rollback`, `plan`, ...); undefined when the inputs named none that exists. */
  command: string | undefined;
  /** The exit code, also the `exit-code` output. */
  exitCode: number;
}

/** A command's part of the summary: Markdown lines, from its report. */
export type SummarySection = (report: Report, context: SummaryContext) => string[];

/** Text for a Markdown table cell: no `|` or line break can end the cell, no HTML gets through. */
export function cell(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n|\r/g, '<br>');
}

/** Inline code (an image tag, an id): the same escaping, without a backtick that would end it. */
const code = (text: string) => `\`${cell(text).replace(/`/g, "'")}\``;

/** A link where `url` is http(s), else the text alone. */
export function link(text: string, url: string | null | undefined): string {
  if (!url || !/^https?:\/\//i.test(url)) return cell(text);
  const safe = url.replace(/[\s()<>|]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `[${cell(text).replace(/[[\]]/g, '\\$&')}](${safe})`;
}

const EXIT_MEANING: Record<number, string> = {
  [EXIT.ok]: 'done',
  [EXIT.usageOrApi]: 'usage error, or the API answered with an error',
  [EXIT.safety]: 'a safety check failed; nothing was changed',
  [EXIT.deploy]: 'the deploy failed; no redeploy was recorded',
  [EXIT.unhealthy]: 'redeployed and recorded, but not healthy in time',
};

const OUTCOME: Record<string, string> = {
  ok: '✅ done',
  SUCCEEDED: '✅ succeeded',
  failed: '❌ failed',
  FAILED: '❌ failed',
  skipped: '➖ skipped',
  SKIPPED: '➖ skipped',
  planned: '📝 planned',
  RUNNING: '⏳ running',
  PENDING: '⏸️ not reached',
};

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const object = (value: unknown): Record<string, unknown> | undefined =>
  value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;

const table = (head: string[], rows: string[][]): string[] => [
  `| ${head.join(' | ')} |`,
  `| ${head.map(() => '---').join(' | ')} |`,
  ...rows.map((row) => `| ${row.join(' | ')} |`),
];

const deployment = (record: Partial<Deployment> | null | undefined): string =>
  record?.imageTag ? `${code(record.imageTag)}${record.id ? ` (${code(record.id)})` : ''}` : '–';

/** The steps of a rollback the CLI carried out (or planned): all five, those not reached said so. */
function localSteps(steps: StepResult[]): string[][] {
  return STEP_NAMES.map((name, i) => {
    const step = steps.find((s) => s.step === i + 1);
    return [
      String(i + 1),
      cell(name),
      OUTCOME[step?.status ?? 'PENDING'] ?? cell(step?.status ?? ''),
      cell(step?.detail ?? ''),
    ];
  });
}

/** The steps of a rollback run the service carried out, in its order (the checks without a number). */
function runSteps(run: Run): string[][] {
  return run.steps.map((step) => [
    String(processStepNumber(step.name) ?? '–'),
    cell(step.name),
    OUTCOME[step.status] ?? cell(step.status),
    cell(step.detail ?? ''),
  ]);
}

/** `rollback` and `plan`: the five steps, the target and current tags, the redeploy record, the run. */
export const rollbackSection: SummarySection = (report) => {
  const run = object(report.run) as Run | undefined;
  if (run) {
    const rows = [
      ['environment', code(run.environment)],
      ['current (rolled back)', deployment(run.current)],
      ['target', deployment(run.target)],
      ['redeploy record', run.redeploy?.deploymentId ? code(run.redeploy.deploymentId) : '–'],
      ['rollback run', `${code(run.id)} ${OUTCOME[run.status] ?? cell(run.status)}`],
    ];
    if (run.redeploy)
      rows.push(['redeploy', link(`${run.redeploy.via} ${run.redeploy.externalId ?? ''}`.trim(), run.redeploy.url)]);
    if (run.failure) rows.push(['failure', `${cell(run.failure.step)}: ${cell(run.failure.detail)}`]);
    return [
      ...table(['', ''], rows),
      '',
      `#### The steps (${PROCESS_STEPS.length}, and the safety checks)`,
      '',
      ...table(['#', 'step', 'outcome', 'detail'], runSteps(run)),
    ];
  }
  const record = object(report.record) as Partial<Deployment> | undefined;
  const rows = [
    ['environment', code(text(report.environment))],
    ['current (rolled back)', deployment(object(report.current) as Partial<Deployment> | undefined)],
    ['target', deployment(object(report.target) as Partial<Deployment> | undefined)],
    ['redeploy record', record?.id ? `${code(record.id)} (rollbackOf ${code(record.rollbackOf ?? '')})` : '–'],
  ];
  if (record?.pipelineRunUrl) rows.push(['workflow run', link(record.pipelineRunUrl, record.pipelineRunUrl)]);
  const steps = Array.isArray(report.steps) ? (report.steps as StepResult[]) : [];
  return [
    ...table(['', ''], rows),
    '',
    '#### The five steps',
    '',
    ...table(['#', 'step', 'outcome', 'detail'], localSteps(steps)),
  ];
};

/**
 * Each command's section, by its name. A command the action gains (gate, hold, release) adds
 * its entry here; one without an entry gets the outcome line and any error.
 */
export const SUMMARY_SECTIONS: Record<string, SummarySection> = {
  rollback: rollbackSection,
  plan: rollbackSection,
};

/** The step summary's Markdown for a command's report (undefined: the command never ran). */
export function stepSummary(report: Report | undefined, context: SummaryContext): string {
  const { command, exitCode } = context;
  const title = `### platform-rollback${command ? ` ${command}` : ''}${
    text(report?.environment) ? `: ${cell(text(report?.environment))}` : ''
  }`;
  const error = object(report?.error);
  const message = text(report?.message) || text(error?.title) || (exitCode === 0 ? 'done' : 'failed');
  const lines = [
    title,
    '',
    `${exitCode === 0 ? '✅' : '❌'} **${cell(message)}** (exit code ${exitCode}: ${EXIT_MEANING[exitCode] ?? 'unknown'})`,
  ];
  if (error && (text(error.title) || text(error.detail))) {
    lines.push('', `> ${cell([text(error.title), text(error.detail)].filter(Boolean).join(': '))}`);
  }
  const section = command && report ? SUMMARY_SECTIONS[command] : undefined;
  if (section) lines.push('', ...section(report as Report, context));
  return `${lines.join('\n')}\n`;
}
