import { readFileSync } from 'node:fs';
import { App, type AppProps } from 'aws-cdk-lib';

/**
 * The context `cdk synth` runs with (cdk.json: the recommended feature flags of the pinned CDK version), so a
 * test asserts on the template that deploys. Unit tests build their App themselves and the CLI is what reads
 * cdk.json, so without this they would test other flags (e.g. unminimized IAM policies).
 */
export const CDK_JSON_CONTEXT: Readonly<Record<string, unknown>> = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }
).context;

/** A fast App (TOOLCHAIN): cdk.json's context, no CloudFormation validator, no bundling. */
export const fastApp = (props: AppProps = {}): App =>
  new App({
    builtinCloudFormationValidation: false,
    ...props,
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...props.context },
  });
