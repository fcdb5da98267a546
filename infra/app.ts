/**
 * The CDK app (`cdk.json`: `npx tsx infra/app.ts`): one stack per stage,
 * environment-agnostic, so `npm run synth` needs no AWS account or
 * credentials. Parameters come from context (infra/config.ts).
 */
import { App, Tags } from 'aws-cdk-lib';
import { readStackConfig } from './config.js';
import { StormcellStack } from './stormcell-stack.js';

const app = new App();
const config = readStackConfig((key) => app.node.tryGetContext(key));
const stack = new StormcellStack(app, `stormcell-${config.stage}`, {
  config,
  description: `stormcell Lightning node (${config.stage}, ${config.network})`,
});
Tags.of(stack).add('project', 'stormcell');
Tags.of(stack).add('stage', config.stage);
app.synth();
