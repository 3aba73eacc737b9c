/**
 * The readiness ports of a running function, built once per cold start: the records' reads,
 * the redeploy targets (REDEPLOY_TARGETS), and the lookups (ECR, ECS, CodePipeline,
 * CloudWatch) of adapters/readiness-probes.ts. The route gets these; the refresh function also
 * the environment items' readiness store and new ids (for the notifications).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECRClient } from '@aws-sdk/client-ecr';
import type { ReadinessPorts } from '../core/readiness.js';
import type { RefreshPorts } from '../core/use-cases/refresh-readiness.js';
import type { App } from '../lib/app.js';
import { readRedeployTargets } from '../lib/config.js';
import { readRouteApp, sharedConfig, sharedDocuments } from './aws.js';
import { readinessStore } from './dynamodb/readiness.js';
import { EcrImages } from './ecr-images.js';
import { AwsTargetProbe, CloudWatchAlarmProbe } from './readiness-probes.js';
import { SDK_CLIENT_DEFAULTS } from './redeploy/retry.js';
import { newUlid } from './ulid.js';

let checks: ReadinessPorts | undefined;
let refresh: RefreshPorts | undefined;

/** GET .../environments/{environment}/readiness: reads and lookups, no writes. */
export function readinessApp(): App<ReadinessPorts> {
  const { config, ports } = readRouteApp();
  if (!checks) {
    const ecr = new Map<string, ECRClient>();
    checks = {
      ...ports,
      targets: readRedeployTargets(),
      images: new EcrImages((region) => {
        const key = region ?? config.region;
        let client = ecr.get(key);
        if (!client) {
          client = new ECRClient({ region: key, ...SDK_CLIENT_DEFAULTS });
          ecr.set(key, client);
        }
        return client;
      }),
      targetProbe: new AwsTargetProbe(),
      alarmProbe: new CloudWatchAlarmProbe(new CloudWatchClient({ region: config.region, ...SDK_CLIENT_DEFAULTS })),
    };
  }
  return { config, ports: checks };
}

/** The readiness refresh (stream and schedule): the checks, and the summary's store. */
export function readinessRefreshApp(): App<RefreshPorts> {
  const { config, ports } = readinessApp();
  refresh ??= {
    ...ports,
    readinessStore: readinessStore({ client: sharedDocuments(), tableName: sharedConfig().tableName }),
    newId: newUlid,
  };
  return { config, ports: refresh };
}
