import type { CloudTrailRecord } from './cloudtrail.ts';
import { accountOf, parametersNotRecorded, stringParam } from './cloudtrail.ts';
import type { Organization } from './resource-policy.ts';

/**
 * Where an ExportTableToPointInTime sends the table: the account owning the destination bucket, from the request's
 * `s3BucketOwner` or the answer's `exportDescription.s3BucketOwner`. DynamoDB requires the owner for a bucket in
 * another account; without it the export goes to the table's own account. When CloudTrail recorded neither the
 * request nor an answer, the destination is unknown (a caller judged on it must fail safe).
 */
export type ExportDestination =
  | { readonly kind: 'own' | 'organization' | 'outside'; readonly owner: string }
  | { readonly kind: 'unknown' };

export const exportDestination = (e: CloudTrailRecord, organization: Organization): ExportDestination => {
  const named =
    stringParam(e.requestParameters, 's3BucketOwner') ??
    stringParam(e.responseElements, 'exportDescription', 's3BucketOwner');
  if (
    named === undefined &&
    parametersNotRecorded(e) &&
    stringParam(e.responseElements, 'exportDescription', 'exportArn') === undefined
  ) {
    return { kind: 'unknown' };
  }
  const owner = named ?? accountOf(e);
  if (owner === accountOf(e)) return { kind: 'own', owner };
  return organization.accounts.includes(owner) ? { kind: 'organization', owner } : { kind: 'outside', owner };
};

export const exportedTableArn = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 'tableArn') ?? stringParam(e.responseElements, 'exportDescription', 'tableArn');

/** `s3://bucket/prefix` of the export, as far as the record names it. */
export const exportTarget = (e: CloudTrailRecord): string => {
  const bucket =
    stringParam(e.requestParameters, 's3Bucket') ?? stringParam(e.responseElements, 'exportDescription', 's3Bucket');
  const prefix = stringParam(e.requestParameters, 's3Prefix');
  return `s3://${bucket ?? 'unknown-bucket'}${prefix === undefined ? '' : `/${prefix}`}`;
};
