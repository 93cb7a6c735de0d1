import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { DIALECTS, type DialectId } from '../shared/routes';
import { resourcesOf, synthStack } from '../test/infra/synth';

/** Every function the stack deploys: one per dialect, the receipt function and the fallback-step function. */
export type FunctionId = DialectId | 'receipts' | 'fallback';

/**
 * The entry of each function. The receipt function's entry is named in lib/constructs/
 * otp-events.ts; `deployedFunctions` fails if the stack deploys a function this list does not know.
 */
export const FUNCTION_ENTRIES: Record<FunctionId, string> = {
  ...(Object.fromEntries(Object.entries(DIALECTS).map(([id, d]) => [id, d.entry])) as Record<
    DialectId,
    string
  >),
  receipts: 'functions/receipts.ts',
  fallback: 'functions/fallback.ts',
};

/** A function as the synthesised template deploys it. */
export interface DeployedFunction {
  id: FunctionId;
  entry: string;
  /** Lambda runtime name (`nodejs24.x`). */
  runtime: string;
  architecture: string;
  memoryMb: number;
  /** The function's environment: literal values as deployed, references (ARNs, table name) as `<ref:NAME>`. */
  environment: Record<string, string>;
}

const functionIdOf = (path: string): FunctionId | undefined => {
  if (path.endsWith('/Events/ReceiptFunction')) return 'receipts';
  if (path.endsWith('/Fallback/Function')) return 'fallback';
  const match = /\/Fn-([a-z0-9-]+)\/Function$/.exec(path);
  return match?.[1] && match[1] in DIALECTS ? (match[1] as DialectId) : undefined;
};

/**
 * Synthesises the real stack (cdk.json's context; stand-in code, so no bundling) and reads what it
 * deploys for each function: runtime, architecture, memory and environment (NODE_OPTIONS
 * included). The benchmark runs each bundle with these, so a change in the stack shows here.
 */
export const deployedFunctions = (): DeployedFunction[] => {
  const { stack, template } = synthStack();
  const resources = resourcesOf(template, 'AWS::Lambda::Function');
  const functions = stack.node
    .findAll()
    .filter(
      (c): c is lambda.Function => 'functionArn' in c && 'runtime' in c && c.node.defaultChild !== undefined,
    );
  const found: DeployedFunction[] = [];
  for (const fn of functions) {
    const logicalId = stack.getLogicalId(fn.node.defaultChild as never);
    const resource = resources[logicalId];
    if (!resource) continue;
    const id = functionIdOf(fn.node.path);
    if (!id)
      throw new Error(
        `the stack deploys ${fn.node.path}, which the benchmark does not know (bench/stack.ts)`,
      );
    const p = resource.Properties as {
      Runtime: string;
      Architectures?: string[];
      MemorySize?: number;
      Environment?: { Variables?: Record<string, unknown> };
    };
    found.push({
      id,
      entry: FUNCTION_ENTRIES[id],
      runtime: p.Runtime,
      architecture: p.Architectures?.[0] ?? 'x86_64',
      // Lambda's default when the template leaves it out.
      memoryMb: p.MemorySize ?? 128,
      environment: Object.fromEntries(
        Object.entries(p.Environment?.Variables ?? {}).map(([k, v]) => [
          k,
          typeof v === 'string' ? v : `<ref:${k}>`,
        ]),
      ),
    });
  }
  const missing = (Object.keys(FUNCTION_ENTRIES) as FunctionId[]).filter(
    (id) => !found.some((f) => f.id === id),
  );
  if (missing.length > 0) throw new Error(`the synthesised stack has no function for ${missing.join(', ')}`);
  return found;
};
