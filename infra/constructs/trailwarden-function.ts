import { fileURLToPath } from 'node:url';
import type { Duration } from 'aws-cdk-lib';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { SDK_EXTERNALS } from '../sdk-externals.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SERVICE_NAME = 'trailwarden';

/** A handler of this repository, e.g. `functions/evaluate/handler.ts`. */
export const repoHandler = (relative: string): string => fileURLToPath(new URL(relative, `file://${REPO_ROOT}`));

/** Bundling shared by every function: ESM for Node 24, the runtime's AWS SDK left out but for DynamoDB. */
const BUNDLING: BundlingOptions = {
  forceDockerBundling: false,
  format: OutputFormat.ESM,
  target: 'node24',
  mainFields: ['module', 'main'],
  // The runtime provides AWS SDK v3; DynamoDB alone is bundled, for cold init (see SDK_EXTERNALS).
  externalModules: [...SDK_EXTERNALS],
  // A CommonJS dependency that calls require() keeps working inside the ESM bundle.
  banner:
    "import { createRequire as __trailwardenCreateRequire } from 'node:module'; const require = __trailwardenCreateRequire(import.meta.url);",
  minify: true,
  sourceMap: true,
};

export interface TrailwardenFunctionProps {
  readonly entry: string;
  /** Directory holding `package-lock.json` and `node_modules` for bundling. */
  readonly projectRoot: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly description: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly retryAttempts?: number;
  /** Files the handler reads at run time, copied beside the bundle (e.g. the evaluate function's rule text). */
  readonly files?: readonly string[];
}

const quote = (path: string): string => `'${path.replace(/'/g, `'\\''`)}'`;

/** Bundling for one function: the shared options, plus copying `files` next to `index.mjs`. */
const bundlingWith = (files: readonly string[]): BundlingOptions =>
  files.length === 0
    ? BUNDLING
    : {
        ...BUNDLING,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir, outputDir) => files.map((f) => `cp ${quote(f)} ${quote(outputDir)}/`),
        },
      };

/**
 * One of Trailwarden's functions (`<id>Function`): its own role instead of AWSLambdaBasicExecutionRole, so it
 * may write to its own log group (`<id>Logs`, kept a year) and nothing else until granted; arm64 on the
 * newest Node runtime CDK offers; JSON logs; the shared bundling.
 */
export const trailwardenFunction = (
  scope: Construct,
  id: string,
  p: TrailwardenFunctionProps,
): { readonly fn: NodejsFunction; readonly role: iam.Role } => {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Trailwarden ${id.toLowerCase()} function`,
  });
  logGroup.grantWrite(role);
  const fn = new NodejsFunction(scope, `${id}Function`, {
    entry: p.entry,
    handler: 'handler',
    projectRoot: p.projectRoot,
    depsLockFilePath: `${p.projectRoot.replace(/\/$/, '')}/package-lock.json`,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: p.memorySize,
    timeout: p.timeout,
    ...(p.retryAttempts === undefined ? {} : { retryAttempts: p.retryAttempts }),
    role,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    description: p.description,
    environment: { ...p.environment, POWERTOOLS_SERVICE_NAME: SERVICE_NAME, NODE_OPTIONS: '--enable-source-maps' },
    bundling: bundlingWith(p.files ?? []),
  });
  return { fn, role };
};
