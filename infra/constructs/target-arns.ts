import { ArnFormat, type Stack } from 'aws-cdk-lib';
import type { RedeployTarget } from '../../functions/core/redeploy/targets.js';
import { parseRepository } from '../../functions/core/safety.js';

/** The ARNs of the CloudWatch alarms the targets' verify steps bake on, each once, sorted. */
export function verifyAlarmArns(stack: Stack, targets: readonly RedeployTarget[]): string[] {
  return [...new Set(targets.flatMap((t) => t.verify.alarms))].sort().map((name) =>
    stack.formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: name,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
  );
}

/** The ARN of a target's `ecrRepository` (a name in this stack's account and region, or a URI naming its own). */
export function repositoryArn(stack: Stack, value: string): string {
  const ref = parseRepository(value);
  return stack.formatArn({
    service: 'ecr',
    resource: 'repository',
    resourceName: ref.name,
    ...(ref.region ? { region: ref.region } : {}),
    ...(ref.registryId ? { account: ref.registryId } : {}),
  });
}
