/** Synthesizes the stack in-process for template assertions, without bundling the functions. */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { CfnElement } from 'aws-cdk-lib';
import { readStackConfig } from '../../../infra/config.js';
import { StormcellStack } from '../../../infra/stormcell-stack.js';

export interface Synthesized {
  readonly stack: StormcellStack;
  readonly template: Template;
  /** The logical id of a construct's CloudFormation resource (its default child). */
  readonly logicalId: (construct: IConstruct) => string;
}

export function synth(context: Readonly<Record<string, string>> = {}): Synthesized {
  // Skipping bundling keeps these tests fast; bundles are tested in bundle-size.test.ts and by `npm run synth`.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const config = readStackConfig((key) => app.node.tryGetContext(key));
  const stack = new StormcellStack(app, `stormcell-${config.stage}`, { config });
  const template = Template.fromStack(stack);
  const logicalId = (construct: IConstruct): string => {
    const element = construct instanceof CfnElement ? construct : construct.node.defaultChild;
    if (!(element instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
    return Stack.of(element).getLogicalId(element);
  };
  return { stack, template, logicalId };
}

/** `{ "Fn::GetAtt": [id, "Arn"] }` */
export const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
/** `{ Ref: id }` */
export const refOf = (id: string) => ({ Ref: id });
