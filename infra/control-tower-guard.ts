import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport } from 'aws-cdk-lib';

/**
 * AWS Control Tower's proactive controls (cfn-guard, with the rules `@cdklabs/cdk-validator-cfnguard`
 * ships) as a validation plugin whose unacknowledged findings fail the synth.
 *
 * Why not the package's plugin as is: it reports each finding without a severity. As soon as the
 * app acknowledges any finding, aws-cdk-lib (2.276) decides a report's success again from the
 * severities of the findings left, and one without a severity counts as no error: an
 * unacknowledged guard finding was printed, and the synth still succeeded. Each finding here
 * carries the severity the report prints it with anyway, `error`. The plugin's name, and so the
 * `cdk-validator-cfnguard::<rule>` ids that acknowledge findings, stay the package's.
 */
export function controlTowerGuard(): IPolicyValidationPlugin {
  const guard = new CfnGuardValidator();
  return {
    name: guard.name,
    version: guard.version,
    ruleIds: guard.ruleIds,
    validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
      const report = guard.validate(context);
      return {
        ...report,
        violations: report.violations.map((violation) => ({ ...violation, severity: violation.severity ?? 'error' })),
      };
    },
  };
}
