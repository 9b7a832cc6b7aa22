import type { CloudTrailRecord } from './cloudtrail.ts';
import { accountOf } from './cloudtrail.ts';

/**
 * The AWS partition a region belongs to, for building ARNs: GovCloud (`us-gov-…`) is `aws-us-gov`, China
 * (`cn-…`) is `aws-cn`, everything else (including an unknown region) is `aws`.
 */
export const partitionOf = (region: string): string =>
  region.startsWith('us-gov-') ? 'aws-us-gov' : region.startsWith('cn-') ? 'aws-cn' : 'aws';

/** `arn:<partition>:<service>:<region>:<account>:<resource>`; region or account may be empty (`ec2:<region>::snapshot/…`). */
export const regionalArn = (
  partition: string,
  service: string,
  region: string,
  account: string,
  resource: string,
): string => `arn:${partition}:${service}:${region}:${account}:${resource}`;

/**
 * A resource in the event's region and partition, owned by the event's account unless `account` says otherwise:
 * `resourceArn(e, 'kms', 'key/1234…')` → `arn:aws:kms:eu-west-1:111122223333:key/1234…`.
 */
export const resourceArn = (e: CloudTrailRecord, service: string, resource: string, account = accountOf(e)): string =>
  regionalArn(partitionOf(e.awsRegion), service, e.awsRegion, account, resource);

/** `arn:<partition>:s3:::<bucket>`: bucket ARNs carry neither region nor account. */
export const s3BucketArn = (partition: string, bucket: string): string => `arn:${partition}:s3:::${bucket}`;

/** `arn:<partition>:iam::<account>:root`, how a finding (and a criticality pattern) names a whole account. */
export const accountRootArn = (partition: string, account: string): string => `arn:${partition}:iam::${account}:root`;

/** The parts of an ARN, for renderers (OCSF resources, Security Hub `Resources`); undefined when not an ARN. */
export interface ArnParts {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  /** `role/app`, `trail/main`, `my-bucket`: everything after the account. */
  readonly resource: string;
  /** The resource type (`role`, `trail`, `security-group`), or '' when the resource has none (an S3 bucket). */
  readonly resourceType: string;
}

export const parseArn = (arn: string): ArnParts | undefined => {
  const m = /^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws|):(.+)$/.exec(arn);
  if (m === null) return undefined;
  // Stryker disable next-line StringLiteral: every group of the pattern is mandatory, so no default is ever used
  const [, partition = '', service = '', region = '', account = '', resource = ''] = m;
  const typed = /^([A-Za-z0-9-]+)[/:]/.exec(resource);
  return { partition, service, region, account, resource, resourceType: typed?.[1] ?? '' };
};
