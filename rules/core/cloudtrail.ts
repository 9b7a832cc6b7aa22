/** The CloudTrail record shape (eventVersion 1.08–1.11), as delivered in S3 log files and in EventBridge `detail`. */
export interface CloudTrailRecord {
  readonly eventVersion?: string;
  readonly eventTime: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly awsRegion: string;
  readonly eventID: string;
  readonly userIdentity: UserIdentity;
  readonly sourceIPAddress?: string;
  readonly userAgent?: string;
  readonly requestParameters?: JsonObject | null;
  readonly responseElements?: JsonObject | null;
  readonly additionalEventData?: JsonObject;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly requestID?: string;
  readonly eventType?: string;
  readonly eventCategory?: string;
  readonly readOnly?: boolean;
  readonly managementEvent?: boolean;
  readonly recipientAccountId?: string;
  readonly sharedEventID?: string;
  readonly resources?: readonly { readonly ARN?: string; readonly accountId?: string; readonly type?: string }[];
  readonly sessionCredentialFromConsole?: string;
}

export interface UserIdentity {
  readonly type?: string;
  readonly principalId?: string;
  readonly arn?: string;
  readonly accountId?: string;
  readonly accessKeyId?: string;
  readonly userName?: string;
  readonly invokedBy?: string;
  readonly sessionContext?: {
    /** Set by the caller at AssumeRole and carried by every later call of the session (and sessions chained from it). */
    readonly sourceIdentity?: string;
    readonly attributes?: { readonly creationDate?: string; readonly mfaAuthenticated?: string };
    readonly sessionIssuer?: {
      readonly type?: string;
      readonly principalId?: string;
      readonly arn?: string;
      readonly accountId?: string;
      readonly userName?: string;
    };
  };
}

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue | undefined;
}

/** A JSON object: not null, not an array. */
export const isJsonObject = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields a record must have before any rule sees it; everything else is optional in the wild. */
export const REQUIRED_RECORD_FIELDS = ['eventTime', 'eventSource', 'eventName', 'eventID'] as const;

export type RecordCheck =
  | { readonly ok: true; readonly record: CloudTrailRecord }
  | { readonly ok: false; readonly error: string };

/** Structural validation at the boundary, so rules can trust the typed fields. */
export const checkRecord = (value: unknown): RecordCheck => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: 'record is not a JSON object' };
  }
  const candidate = value as Record<string, unknown>;
  for (const field of REQUIRED_RECORD_FIELDS) {
    if (typeof candidate[field] !== 'string' || candidate[field] === '') {
      return { ok: false, error: `record has no ${field}` };
    }
  }
  if (Number.isNaN(Date.parse(candidate.eventTime as string))) {
    return { ok: false, error: `record eventTime is not a timestamp: ${String(candidate.eventTime)}` };
  }
  if (typeof candidate.userIdentity !== 'object' || candidate.userIdentity === null) {
    return { ok: false, error: 'record has no userIdentity' };
  }
  const record = candidate as unknown as CloudTrailRecord;
  // Copy only in the rare case a field must be filled in: copying every record would cost more than parsing.
  return { ok: true, record: typeof candidate.awsRegion === 'string' ? record : { ...record, awsRegion: 'unknown' } };
};

/** Success = CloudTrail recorded no error for the call. */
export const isSuccess = (e: CloudTrailRecord): boolean => e.errorCode === undefined || e.errorCode === '';

/**
 * Front ends that act for a caller rather than for AWS itself: the console (`signin`, in older records) and
 * CloudFormation / Service Catalog, which run with the caller's credentials or the stack's role. A change
 * made through them is still someone's change; treating it as "service-invoked" would let anyone wave an IAM
 * or network change through by deploying it as a stack.
 */
const ON_BEHALF_OF_A_CALLER: ReadonlySet<string> = new Set([
  'signin.amazonaws.com',
  'cloudformation.amazonaws.com',
  'servicecatalog.amazonaws.com',
]);

/**
 * A call AWS made on its own (service events, service principals, a service using its service-linked role or
 * acting through `invokedBy`), with no person or pipeline to hold to it.
 */
export const isServiceInvoked = (e: CloudTrailRecord): boolean => {
  if (e.eventType === 'AwsServiceEvent' || e.userIdentity.type === 'AWSService') return true;
  const invokedBy = e.userIdentity.invokedBy;
  return typeof invokedBy === 'string' && invokedBy.endsWith('.amazonaws.com') && !ON_BEHALF_OF_A_CALLER.has(invokedBy);
};

/** The ARN that acted: the role behind an assumed-role session, else the identity's own ARN. */
export const actorArn = (e: CloudTrailRecord): string =>
  e.userIdentity.arn ?? e.userIdentity.sessionContext?.sessionIssuer?.arn ?? e.userIdentity.principalId ?? 'unknown';

/** The IAM role (or user) ARN behind the call; for assumed roles, the issuing role rather than the session. */
export const principalArn = (e: CloudTrailRecord): string =>
  e.userIdentity.type === 'AssumedRole'
    ? (e.userIdentity.sessionContext?.sessionIssuer?.arn ?? actorArn(e))
    : actorArn(e);

export const accountOf = (e: CloudTrailRecord): string => e.recipientAccountId ?? e.userIdentity.accountId ?? 'unknown';

/** Read a string from requestParameters/responseElements without trusting their shape. */
export const param = (obj: JsonObject | null | undefined, ...path: string[]): JsonValue | undefined => {
  let current: JsonValue | undefined = obj ?? undefined;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as JsonObject)[key];
  }
  return current;
};

export const stringParam = (obj: JsonObject | null | undefined, ...path: string[]): string | undefined => {
  const value = param(obj, ...path);
  return typeof value === 'string' ? value : undefined;
};
