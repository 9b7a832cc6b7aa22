import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { DIGEST_PREFIX as CHAIN_PREFIX } from '../../rules/core/digest.ts';
import { EVIDENCE_PREFIXES } from '../../rules/core/evidence.ts';
import { KEYS_PREFIX, SIGNING_ALGORITHM } from '../../rules/core/signature.ts';
import { finalLogicalId, PipelinePart } from './logical-ids.ts';
import { repoHandler, trailwardenFunction } from './trailwarden-function.ts';

/** Where the evaluate and health functions write findings; the only prefix they may write to. */
export const EVIDENCE_PREFIX = 'findings/';
/** Where the evaluate and health functions archive incident states (one object per revision). */
export const INCIDENT_PREFIX = 'incidents/';
/** Where the digest function writes the chain; the only prefix it may write to. */
export const DIGEST_PREFIX = CHAIN_PREFIX;
/** Every prefix whose objects are written once and never replaced: evidence, the chain, the public keys. */
export const WRITE_ONCE_PREFIXES = [...EVIDENCE_PREFIXES, DIGEST_PREFIX, KEYS_PREFIX] as const;
/** The digest schedule: hourly, a few minutes past the hour (verify's default freshness counts on it). */
export const DIGEST_SCHEDULE_MINUTE = 5;

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
  /**
   * Roles (ARN patterns) allowed to disable, schedule the deletion of, or change the policy of the digest signing
   * key, beside the CDK deploy role (which must keep PutKeyPolicy so the stack can be updated). Default none.
   */
  readonly breakGlassRoleArns?: readonly string[];
}

/**
 * What auditors pull: the Object-Lock evidence bucket (COMPLIANCE retention, versioned, KMS, append-only by
 * policy), its server access logs in a bucket of their own, and the hourly digest function that chains the
 * evidence and signs each digest with an asymmetric KMS key only it may use.
 */
export class Evidence extends PipelinePart {
  readonly evidenceBucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  /** Scheduled, hourly: the evidence digest chain (`digests/`). */
  readonly digestFunction: LambdaFunction;
  /** ECC_NIST_P256 SIGN_VERIFY: `kms:Sign` for the digest function alone; its public key verifies every digest. */
  readonly signingKey: kms.Key;

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
      // Lifecycle is not subject to the bucket policy: it still expires evidence once retention has passed
      // (the current version becomes a delete marker, the then-unlocked version goes a day later).
      lifecycleRules: [
        {
          id: 'expire-after-retention',
          expiration: Duration.days(props.retentionDays),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.appendOnly();
    const { fn, role } = this.buildDigestFunction(props);
    this.digestFunction = fn;
    this.signingKey = this.buildSigningKey(role, props.breakGlassRoleArns ?? []);
    fn.addEnvironment('DIGEST_SIGNING_KEY_ARN', this.signingKey.keyArn);
    // GetPublicKey through IAM (the key policy lets the account's principals read it); Sign through the key policy.
    this.signingKey.grant(role, 'kms:GetPublicKey');
    this.acknowledge();
  }

  /**
   * Object Lock keeps every locked version, but a plain DELETE still adds a delete marker and a PUT a new
   * version, and both hide the original from a current-only listing. Nobody may delete (lifecycle aside), and
   * on every evidence prefix, the chain and the keys a write must be conditional (`If-None-Match: *`), so it can
   * only create. (`s3:if-none-match` is absent from a request without the header; multipart uploads, which
   * Trailwarden never uses, are refused too.)
   */
  private appendOnly(): void {
    this.evidenceBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyEvidenceDeletion',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
        resources: [this.evidenceBucket.arnForObjects('*')],
      }),
    );
    this.evidenceBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyEvidenceOverwrite',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: WRITE_ONCE_PREFIXES.map((p) => this.evidenceBucket.arnForObjects(`${p}*`)),
        conditions: { Null: { 's3:if-none-match': 'true' } },
      }),
    );
  }

  /**
   * The digest signing key. Its policy is written out, not CDK's default (`kms:*` for the account): the account
   * administers the key but cannot sign or grant; the digest role alone signs (and only ECDSA_SHA_256 over a
   * digest); the account's principals may read the public key as IAM allows; nobody but the break-glass roles
   * disables or schedules its deletion, and only they and the deploy role may change this policy.
   */
  private buildSigningKey(digestRole: iam.IRole, breakGlass: readonly string[]): kms.Key {
    const stack = Stack.of(this);
    const account = new iam.AccountRootPrincipal();
    const deployRole = `arn:${stack.partition}:iam::${stack.account}:role/cdk-*-cfn-exec-role-*`;
    const exceptFor = (arns: readonly string[]) =>
      arns.length === 0 ? {} : { conditions: { ArnNotLike: { 'aws:PrincipalArn': [...arns] } } };
    const policy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'KeyAdministration',
          principals: [account],
          actions: [
            'kms:CreateAlias',
            'kms:DeleteAlias',
            'kms:DescribeKey',
            'kms:EnableKey',
            'kms:DisableKey',
            'kms:GetKeyPolicy',
            'kms:ListAliases',
            'kms:ListGrants',
            'kms:ListKeyPolicies',
            'kms:ListResourceTags',
            'kms:PutKeyPolicy',
            'kms:RevokeGrant',
            'kms:RetireGrant',
            'kms:UpdateAlias',
            'kms:UpdateKeyDescription',
            'kms:TagResource',
            'kms:UntagResource',
            'kms:ScheduleKeyDeletion',
            'kms:CancelKeyDeletion',
          ],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'ReadPublicKey',
          principals: [account],
          actions: ['kms:GetPublicKey', 'kms:DescribeKey'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'DigestFunctionSigns',
          principals: [new iam.ArnPrincipal(digestRole.roleArn)],
          actions: ['kms:Sign'],
          resources: ['*'],
          conditions: {
            StringEquals: { 'kms:SigningAlgorithm': SIGNING_ALGORITHM, 'kms:MessageType': 'DIGEST' },
          },
        }),
        new iam.PolicyStatement({
          sid: 'DenySignExceptDigestFunction',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:Sign', 'kms:CreateGrant'],
          resources: ['*'],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': digestRole.roleArn } },
        }),
        new iam.PolicyStatement({
          sid: 'GuardKeyLifecycle',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'],
          resources: ['*'],
          ...exceptFor(breakGlass),
        }),
        new iam.PolicyStatement({
          sid: 'GuardKeyPolicy',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:PutKeyPolicy'],
          resources: ['*'],
          ...exceptFor([deployRole, ...breakGlass]),
        }),
      ],
    });
    return new kms.Key(this, 'DigestSigningKey', {
      description: 'Trailwarden: signs the evidence digests (kms:Sign for the digest function only)',
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      policy,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /**
   * Lets `role` add findings under `findings/` and incident states under `incidents/`: PutObject only, no delete,
   * no retention or legal-hold change, no read.
   */
  grantPutFindings(role: iam.IGrantable): void {
    role.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [EVIDENCE_PREFIX, INCIDENT_PREFIX].map((p) => this.evidenceBucket.arnForObjects(`${p}*`)),
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
   * The digest function: every hour, the signed digest of the previous UTC hour's evidence, chained to the one
   * before. It lists and reads every evidence prefix and `digests/`, and may only add objects under `digests/`
   * and `keys/` (its public key): no delete, no retention or legal-hold changes. Runs are idempotent, so the
   * stock async retries are kept.
   */
  private buildDigestFunction(props: EvidenceProps): { fn: LambdaFunction; role: iam.Role } {
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
        resources: [DIGEST_PREFIX, KEYS_PREFIX].map((p) => this.evidenceBucket.arnForObjects(`${p}*`)),
      }),
    );
    // SSE-KMS with a bucket key: reading needs Decrypt, writing GenerateDataKey; nothing else on the key.
    props.storageKey.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    new events.Rule(this, 'DigestSchedule', {
      description: 'Trailwarden: writes the evidence digest of the previous hour, every hour',
      // Minutes past the hour, not `rate(1 hour)` (which runs at whatever minute it was deployed): the newest
      // digest is then never more than ~65 minutes behind, which `verify`'s default freshness relies on.
      schedule: events.Schedule.cron({ minute: String(DIGEST_SCHEDULE_MINUTE) }),
      targets: [new targets.LambdaFunction(fn)],
    });
    return { fn, role };
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
          'Digest keys are generated per hour (digests/dt=…/<period>.json); the grants are GetObject (the previous link) and PutObject (the new digest, conditional: the bucket policy refuses overwrites), scoped to the digests/ prefix.',
      },
      {
        id: this.objectsFinding(KEYS_PREFIX),
        reason:
          "The signing key's public half is kept as keys/<sha256 of the key>.pem; the grant is PutObject only (conditional: the bucket policy refuses overwrites), scoped to the keys/ prefix.",
      },
    );
  }
}
