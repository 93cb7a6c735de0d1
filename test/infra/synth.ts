import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { PROJECT_ROOT } from '../../lib/constructs/dialect-function';
import { DIALECT_IDS, OtpServiceStack, type OtpServiceStackProps } from '../../lib/otp-stack';
import type { DialectId } from '../../shared/routes';

/** Stand-in code so a synth does not run esbuild five times (bundling has its own test). */
export const INLINE_CODE = lambda.Code.fromInline(
  'export const handler = async () => ({ statusCode: 200 });',
);

/** Inline code for every dialect except those listed, which keep the real esbuild bundling. */
export const inlineCodeExcept = (
  ...bundled: DialectId[]
): Partial<Record<DialectId | 'receipts' | 'fallback', lambda.Code>> => ({
  ...Object.fromEntries(DIALECT_IDS.filter((d) => !bundled.includes(d)).map((d) => [d, INLINE_CODE])),
  receipts: INLINE_CODE,
  fallback: INLINE_CODE,
});

/** The context of `cdk.json` (feature flags and defaults), so tests synthesise what `cdk synth` does. */
export const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

/** The sender the tests deploy with: a deploy must name one (lib/settings.ts). */
export const TEST_SES_FROM = 'no-reply@otp.example.com';

/** cdk.json's context plus what every deploy must add on the command line (`-c sesFromAddress=…`). */
export const SYNTH_CONTEXT: Record<string, unknown> = { ...CDK_JSON_CONTEXT, sesFromAddress: TEST_SES_FROM };

/**
 * A fresh app and stack; `context` is what `cdk -c key=value` would add to cdk.json's. CDK's own
 * template validation is off here (it costs seconds per synth under Jest); the cdk-nag test runs a
 * full synth with it on.
 */
export const synthStack = (
  context: Record<string, unknown> = {},
  props: OtpServiceStackProps = { codeOverrides: inlineCodeExcept() },
): { app: App; stack: OtpServiceStack; template: Template } => {
  const app = new App({
    context: { ...SYNTH_CONTEXT, ...context },
    builtinCloudFormationValidation: false,
    stackTraces: false,
  });
  const stack = new OtpServiceStack(app, 'OtpServiceStack', props);
  return { app, stack, template: Template.fromStack(stack) };
};

type CfnResource = { Type: string; Properties?: Record<string, unknown>; [key: string]: unknown };

/** The template's resources of one type, keyed by logical id. */
export const resourcesOf = (template: Template, type: string): Record<string, CfnResource> =>
  template.findResources(type) as Record<string, CfnResource>;

/** The single logical id of a resource type whose properties match, failing loudly otherwise. */
export const onlyId = (found: Record<string, unknown>, what: string): string => {
  const ids = Object.keys(found);
  if (ids.length !== 1) throw new Error(`expected exactly one ${what}, found ${ids.length}`);
  return ids[0] as string;
};

/**
 * Every API Gateway method of a template as `{ method, path, functionId }`: the path rebuilt from
 * the resources' PathPart chain, the function from the logical id its integration URI names.
 */
export const templateRoutes = (
  template: Template,
): Array<{ method: string; path: string; functionId: string | undefined }> => {
  const resources = resourcesOf(template, 'AWS::ApiGateway::Resource');
  const functionIds = Object.keys(resourcesOf(template, 'AWS::Lambda::Function'));
  const pathOf = (id: unknown): string => {
    if (typeof id === 'object' && id && 'Fn::GetAtt' in id) return ''; // the API's root resource
    const resource = resources[(id as { Ref: string }).Ref]?.Properties as {
      ParentId: unknown;
      PathPart: string;
    };
    return `${pathOf(resource.ParentId)}/${resource.PathPart}`;
  };
  return Object.values(resourcesOf(template, 'AWS::ApiGateway::Method')).map((m) => {
    const p = m.Properties as { HttpMethod: string; ResourceId: unknown; Integration: unknown };
    const integration = JSON.stringify(p.Integration);
    return {
      method: p.HttpMethod,
      path: pathOf(p.ResourceId),
      functionId: functionIds.find((id) => integration.includes(`"${id}","Arn"`)),
    };
  });
};
