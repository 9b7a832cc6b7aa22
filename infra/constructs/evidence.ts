import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { EVIDENCE_PREFIXES } from '../../rules/core/evidence.ts';
import { finalLogicalId, PipelinePart } from './logical-ids.ts';
import { repoHandler, trailwardenFunction } from './trailwarden-function.ts';

/** Where the evaluate and health functions write findings; the only prefix they may write to. */
export const EVIDENCE_PREFIX = 'findings/';
/** Where the digest function writes the chain; the only prefix it may write to. */
export const DIGEST_PREFIX = 'digests/';

export interface EvidenceProps {
  /** Object Lock COMPLIANCE retention of every evidence object, in days. */
  readonly retentionDays: number;
  /** Expiry of the evidence bucket's server access logs, in days. */
  readonly accessLogRetentionDays: number;
  /** Encrypts the evidence bucket (SSE-KMS with a bucket key). */
  readonly storageKey: kms.IKey;
  /** Handler of the digest function (default: this repository's `functions/digest/handler.ts`). */
  readonly digestEntry?: string;
  readonly projectRoot: string;
}

/**
 * What auditors pull: the Object-Lock evidence bucket (COMPLIANCE retention, versioned, KMS), its server access
 * logs in a bucket of their own, and the hourly digest function that chains the evidence.
 */
export class Evidence extends PipelinePart {
  readonly evidenceBucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  /** Scheduled, hourly: the evidence digest chain (`digests/`). */
  readonly digestFunction: NodejsFunction;

  constructor(scope: Construct, id: string, props: EvidenceProps) {
    super(scope, id);
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      // Server access logging can only deliver to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: Duration.days(props.accessLogRetentionDays),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.evidenceBucket = new s3.Bucket(this, 'EvidenceBucket', {
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(props.retentionDays)),
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.storageKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'evidence/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.digestFunction = this.buildDigestFunction(props);
    this.acknowledge();
  }

  /** Lets `role` add findings under `findings/`: PutObject only, no delete, no retention or legal-hold change, no read. */
  grantPutFindings(role: iam.IGrantable): void {
    role.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.evidenceBucket.arnForObjects(`${EVIDENCE_PREFIX}*`)],
      }),
    );
  }

  /** `AwsSolutions-IAM5[Resource::<bucket>.Arn/<prefix>*]`, the id cdk-nag gives a grant on objects under a prefix. */
  objectsFinding(prefix: string): string {
    const bucket = this.evidenceBucket.node.defaultChild;
    if (!(bucket instanceof s3.CfnBucket)) throw new Error('evidence bucket has no CfnBucket');
    return `AwsSolutions-IAM5[Resource::<${finalLogicalId(bucket)}.Arn>/${prefix}*]`;
  }

  /**
   * The digest function: every hour, the digest of the previous UTC hour's evidence, chained to the one before.
   * It lists and reads every evidence prefix (`EVIDENCE_PREFIXES`) and `digests/` and may only add objects under `digests/`: no delete, no
   * retention or legal-hold changes. Runs are idempotent, so the stock async retries are kept.
   */
  private buildDigestFunction(props: EvidenceProps): NodejsFunction {
    const { fn, role } = trailwardenFunction(this, 'Digest', {
      entry: props.digestEntry ?? repoHandler('functions/digest/handler.ts'),
      projectRoot: props.projectRoot,
      memorySize: 256,
      timeout: Duration.minutes(5),
      description: 'Trailwarden: hourly digest of the evidence written, chained to the previous digest',
      environment: { EVIDENCE_BUCKET: this.evidenceBucket.bucketName },
    });
    const prefixes = [...EVIDENCE_PREFIXES, DIGEST_PREFIX];
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.evidenceBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) } },
      }),
    );
    // HeadObject and GetObject (the stored checksum, or the bytes when there is none).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: prefixes.map((p) => this.evidenceBucket.arnForObjects(`${p}*`)),
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.evidenceBucket.arnForObjects(`${DIGEST_PREFIX}*`)],
      }),
    );
    // SSE-KMS with a bucket key: reading needs Decrypt, writing GenerateDataKey; nothing else on the key.
    props.storageKey.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    new events.Rule(this, 'DigestSchedule', {
      description: 'Trailwarden: writes the evidence digest of the previous hour, every hour',
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: [new targets.LambdaFunction(fn)],
    });
    return fn;
  }

  /** cdk-nag findings of the digest function that are deliberate, each with the reason an auditor will read. */
  private acknowledge(): void {
    const digestPolicy = this.digestFunction.role?.node.tryFindChild('DefaultPolicy');
    if (digestPolicy === undefined) throw new Error('digest function role has no default policy');
    Validations.of(digestPolicy).acknowledge(
      ...EVIDENCE_PREFIXES.map((prefix) => ({
        id: this.objectsFinding(prefix),
        reason: `The digest lists every evidence object written in its hour, whose keys are generated per object; the grant is GetObject only (the stored checksum, or the bytes), scoped to the ${prefix} prefix.`,
      })),
      {
        id: this.objectsFinding(DIGEST_PREFIX),
        reason:
          'Digest keys are generated per hour (digests/dt=…/<period>.json); the grants are GetObject (the previous link) and PutObject (the new digest), scoped to the digests/ prefix.',
      },
    );
  }
}
