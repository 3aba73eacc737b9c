import { describe, expect, it } from 'vitest';
import { CFN_LINT_INSTALL, cfnLint } from '../support/cfn-lint.js';

describe('the cfn-lint runner', () => {
  it('fails with the install command when cfn-lint is missing', () => {
    expect(() => cfnLint(['template.json'], 'cfn-lint-not-installed')).toThrow(
      `cfn-lint-not-installed is not installed: the tests lint the synthesized templates with it. Install it with: ${CFN_LINT_INSTALL}`,
    );
    expect(CFN_LINT_INSTALL).toBe('pip install cfn-lint');
  });
});
