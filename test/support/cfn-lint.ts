/**
 * cfn-lint, the CloudFormation linter (Python), run on templates cdk synth wrote. Its
 * configuration is the repository's .cfnlintrc.yaml (every rule turned off, with its reason).
 */
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../../infra/bundling.js';

/** What to run where cfn-lint is missing; said in the error. */
export const CFN_LINT_INSTALL = 'pip install cfn-lint';

/** One finding, as `cfn-lint --format json` prints it. */
export interface CfnLintFinding {
  Rule: { Id: string };
  Level: 'Error' | 'Warning' | 'Informational';
  Message: string;
  Filename: string;
  Location: { Path: (string | number)[] };
}

/** Every finding cfn-lint makes in `templates` (none: an empty list). Throws when it cannot run. */
export function cfnLint(templates: readonly string[], command = 'cfn-lint'): CfnLintFinding[] {
  const found = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { stdio: 'ignore' });
  if (found.status !== 0) {
    throw new Error(
      `${command} is not installed: the tests lint the synthesized templates with it. Install it with: ${CFN_LINT_INSTALL}`,
    );
  }
  const result = spawnSync(command, ['--format', 'json', '--', ...templates], { cwd: REPO_ROOT, encoding: 'utf8' });
  // Exit codes are a bit mask of the levels found (2 errors, 4 warnings, 8 informational); 1 is its own failure.
  if (result.status === null || result.status === 1 || (!result.stdout.trim() && result.status !== 0)) {
    throw new Error(`cfn-lint failed to run (exit ${result.status}): ${result.stderr}`);
  }
  return JSON.parse(result.stdout.trim() || '[]') as CfnLintFinding[];
}
