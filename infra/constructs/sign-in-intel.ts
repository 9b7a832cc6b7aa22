import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { npmGeoFiles } from '../../functions/shared/adapters/ip-database.ts';
import type { AnonymiserConfig } from '../../rules/core/config.ts';
import { s3SourceOf } from '../../rules/core/config.ts';

/**
 * The IP database files the evaluate function reads, as npm installed them: copied beside `index.mjs` in the
 * function's asset by the bundling (never into its JavaScript). A newer database is a newer npm package version
 * (`npm i -E @ip-location-db/…@NEW`) and a redeploy: the asset hash changes with the files.
 */
export const geoAssetFiles = (): readonly string[] => Object.values(npmGeoFiles());

export interface SignInIntelProps {
  /** The functions that judge sign-ins (the evaluate function). */
  readonly readers: readonly iam.IGrantable[];
  readonly anonymisers?: AnonymiserConfig;
}

/**
 * Read access to the configured anonymiser list: `s3:GetObject` on that one object, nothing else (no ListBucket,
 * no other key), so the function can neither see nor change what else the bucket holds. Who may write the object
 * is the bucket owner's business: whoever can rewrite the list can hide an address from signin.anonymiser.
 */
export class SignInIntel extends Construct {
  readonly objectArn: string | undefined;

  constructor(scope: Construct, id: string, props: SignInIntelProps) {
    super(scope, id);
    const where = props.anonymisers === undefined ? undefined : s3SourceOf(props.anonymisers.source);
    this.objectArn =
      where === undefined ? undefined : `arn:${Stack.of(this).partition}:s3:::${where.bucket}/${where.key}`;
    for (const reader of props.readers) this.grantRead(reader);
  }

  /** `s3:GetObject` on the list object for another function that judges sign-ins (the replay function). */
  grantRead(reader: iam.IGrantable): void {
    if (this.objectArn === undefined) return;
    reader.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.objectArn] }),
    );
  }
}
