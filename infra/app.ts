import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type AppProps, CrossStackReferences, ReferenceStrength, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { controlTowerGuard } from './control-tower-guard.js';
import { readSettings, type Settings } from './stacks/settings.js';
import { StatefulStack } from './stacks/stateful-stack.js';
import { StatelessStack } from './stacks/stateless-stack.js';

export interface Service {
  app: App;
  settings: Settings;
  stateful: StatefulStack;
  stateless: StatelessStack;
}

/**
 * The whole service as one CDK app: the stateful stack (table, topic, key) and the stateless
 * one (API and functions) for the stage named in context, with cdk-nag's AwsSolutions pack
 * checking every synth. `cdk synth`/`deploy` and the infra tests build it through this one
 * function, so the tests check exactly what deploys.
 *
 * The stacks are environment-agnostic: they name no account or region, so synth needs no AWS
 * credentials and no network, and `cdk deploy` targets whatever account the caller's
 * credentials belong to.
 */
export function createService(props: AppProps = {}): Service {
  const app = new App(props);
  // Fn::ImportValue, CloudFormation's own guard: the stateful stack cannot be deleted, nor an
  // export it gives changed, while the API stack uses it. (Removing a use later takes two deploys.)
  CrossStackReferences.of(app).consume(ReferenceStrength.STRONG);
  const settings = readSettings(app.node);
  const prefix = `PlatformRollback-${settings.stage}`;
  const tags = { service: 'platform-rollback', stage: settings.stage };

  // Stack tags are given to each stack: with the explicitStackTags flag (cdk.json), Tags.of()
  // no longer reaches stacks, and CloudFormation would drop the stacks' tags at the next deploy.
  const stateful = new StatefulStack(app, `${prefix}-Stateful`, {
    settings,
    tags,
    description: `platform-rollback (${settings.stage}): deployments table and rollback topic; retained`,
  });
  const stateless = new StatelessStack(app, `${prefix}-Stateless`, {
    settings,
    tags,
    table: stateful.table,
    topic: stateful.topic,
    chatTopic: stateful.chat?.topic,
    cursorKey: stateful.cursorKey,
    description: `platform-rollback (${settings.stage}): HTTP API and functions`,
  });

  // And each resource in the templates, as before the flag: the same keys and values.
  for (const [key, value] of Object.entries(tags)) Tags.of(app).add(key, value);
  // Validation plugins: cdk-nag 3's AwsSolutions pack, and AWS Control Tower's proactive
  // controls (cfn-guard, with the rules its npm package ships; see controlTowerGuard for why it
  // is wrapped). Any unacknowledged finding, warning or error, fails the synth; each exemption is
  // acknowledged in code, with its reason.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), controlTowerGuard());
  return { app, settings, stateful, stateless };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  createService().app.synth();
}
