/**
 * The rollback runs' ports of a running function, built once per cold start from its
 * configuration (next to aws.ts, which builds the deployment ports).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECRClient } from '@aws-sdk/client-ecr';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Redeployer } from '../core/redeploy/port.js';
import type { RedeployTarget } from '../core/redeploy/targets.js';
import type { RunPorts, RunReads, StartRunPorts } from '../core/run-ports.js';
import type { App } from '../lib/app.js';
import { readRedeployTargets } from '../lib/config.js';
import { autoRollbackApp, readRouteApp, sharedConfig, sharedDocuments } from './aws.js';
import { CloudWatchHealth } from './cloudwatch-health.js';
import { runStore } from './dynamodb/run-progress.js';
import { runReader } from './dynamodb/run-reads.js';
import { runStarter } from './dynamodb/run-start.js';
import { EcrImages } from './ecr-images.js';
import { HttpHealth } from './http-health.js';
import { CallbackRedeployer } from './redeploy/callback.js';
import { CommandRedeployer } from './redeploy/command.js';
import { redeployerFor as awsRedeployerFor } from './redeploy/index.js';
import { HttpRunLauncher, LambdaRunLauncher, NO_LAUNCHER } from './run-launcher.js';
import { newUlid } from './ulid.js';

let readShared: App<{ runs: RunReads }> | undefined;
let startShared: StartRunPorts | undefined;
let runShared: RunPorts | undefined;

/**
 * What reading runs needs: the runs' reads and nothing else, so that the functions that only
 * read runs bundle neither the writes of runs, nor the deployment records' store, nor the
 * launcher's client.
 */
export function runReadRouteApp(): App<{ runs: RunReads }> {
  readShared ??= {
    config: sharedConfig(),
    ports: { runs: runReader({ client: sharedDocuments(), tableName: sharedConfig().tableName }) },
  };
  return readShared;
}

/** What starting a run needs: the records' reads, the runs' reads and start, the targets, and the launcher. */
export function runStarterApp(): App<StartRunPorts> {
  const config = sharedConfig();
  if (!startShared) {
    const launcher = config.runFunction
      ? new LambdaRunLauncher(new LambdaClient({ region: config.region }), config.runFunction)
      : config.runLauncherUrl && config.runLauncherSecret
        ? new HttpRunLauncher(config.runLauncherUrl, config.runLauncherSecret)
        : NO_LAUNCHER;
    startShared = {
      ...readRouteApp().ports,
      runs: runStarter({ client: sharedDocuments(), tableName: config.tableName }),
      newId: newUlid,
      targets: readRedeployTargets(),
      launcher,
    };
  }
  return { config, ports: startShared };
}

/**
 * What the workflow's steps need. In local mode (`command` targets or health URLs), the
 * command runs on this machine and health is read from the URL; in AWS from CloudWatch.
 */
export function runWorkflowApp(): App<RunPorts> {
  const { config, ports } = autoRollbackApp();
  if (!runShared) {
    const redeployers = new Map<string, Redeployer>();
    const cloudwatch = new CloudWatchHealth(new CloudWatchClient({ region: config.region }));
    const url = new HttpHealth();
    const ecr = new Map<string, ECRClient>();
    const shared: RunPorts = {
      ...ports,
      runs: runStore({ client: sharedDocuments(), tableName: config.tableName }),
      targets: readRedeployTargets(),
      redeployerFor(environment: string, target: RedeployTarget) {
        let redeployer = redeployers.get(environment);
        if (!redeployer) {
          redeployer =
            target.via === 'command'
              ? new CommandRedeployer(target.command)
              : target.via === 'callback'
                ? new CallbackRedeployer(shared)
                : awsRedeployerFor(target);
          redeployers.set(environment, redeployer);
        }
        return redeployer;
      },
      images: new EcrImages((region) => {
        const key = region ?? config.region;
        let client = ecr.get(key);
        if (!client) {
          client = new ECRClient({ region: key });
          ecr.set(key, client);
        }
        return client;
      }),
      health: {
        check: (environment, verify) =>
          verify.healthUrl ? url.check(environment, verify) : cloudwatch.check(environment, verify),
      },
    };
    runShared = shared;
  }
  return { config, ports: runShared };
}
