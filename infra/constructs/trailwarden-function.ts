import { fileURLToPath } from 'node:url';
import type { Duration } from 'aws-cdk-lib';
import { AssetHashType, DockerImage, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { bundleFunction } from '../bundling.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SERVICE_NAME = 'trailwarden';

/** A handler of this repository, e.g. `functions/evaluate/handler.ts`. */
export const repoHandler = (relative: string): string => fileURLToPath(new URL(relative, `file://${REPO_ROOT}`));

export interface TrailwardenFunctionProps {
  readonly entry: string;
  /** The repository root: the asset's source (nothing is copied from it; esbuild reads the entry's imports). */
  readonly projectRoot: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly description: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly retryAttempts?: number;
  /** Files the handler reads at run time, copied beside the bundle (e.g. the evaluate function's rule text). */
  readonly files?: readonly string[];
}

/**
 * The function's code: its handler bundled on this machine by esbuild (infra/bundling.ts, the options the bench
 * measures), with `files` copied beside `index.mjs`. Hashed by the output, as NodejsFunction does, so a change
 * that does not reach the bundle does not redeploy the function.
 */
const bundledCode = (entry: string, projectRoot: string, files: readonly string[]): lambda.Code =>
  lambda.Code.fromAsset(projectRoot, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never pulled: local bundling always succeeds or throws (esbuild is a dependency of this repository).
      image: DockerImage.fromRegistry('dummy'),
      // Never run either, but CDK keys its bundling cache on these options (a function in them is not part of the
      // key): what is bundled must be in them, or every function would get the first one's bundle.
      command: ['trailwarden-bundle', entry, ...files],
      local: {
        tryBundle: (outputDir) => {
          bundleFunction(entry, outputDir, files);
          return true;
        },
      },
    },
  });

/**
 * One of Trailwarden's functions (`<id>Function`): its own role instead of AWSLambdaBasicExecutionRole, so it
 * may write to its own log group (`<id>Logs`, kept a year) and nothing else until granted; arm64 on the
 * newest Node runtime CDK offers; JSON logs; the shared bundling.
 */
export const trailwardenFunction = (
  scope: Construct,
  id: string,
  p: TrailwardenFunctionProps,
): { readonly fn: lambda.Function; readonly role: iam.Role } => {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Trailwarden ${id.toLowerCase()} function`,
  });
  logGroup.grantWrite(role);
  const fn = new lambda.Function(scope, `${id}Function`, {
    code: bundledCode(p.entry, p.projectRoot, p.files ?? []),
    handler: 'index.handler',
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
  });
  return { fn, role };
};
