import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord, FieldSpec, JsonValue, Shape } from '../../../rules/core/cloudtrail.ts';
import {
  accountOf,
  actorArn,
  checkRecord,
  fitsRecord,
  isJsonObject,
  isOmittedMarker,
  isServiceInvoked,
  isSuccess,
  param,
  parametersNotRecorded,
  principalArn,
  RECORD_SHAPE,
  REQUIRED_RECORD_FIELDS,
  stringParam,
} from '../../../rules/core/cloudtrail.ts';

const record = (overrides: Partial<CloudTrailRecord>): CloudTrailRecord => ({
  eventTime: '2026-11-02T10:00:00Z',
  eventSource: 'iam.amazonaws.com',
  eventName: 'AttachRolePolicy',
  eventID: 'e1',
  awsRegion: 'us-east-1',
  recipientAccountId: '111122223333',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333' },
  ...overrides,
});

describe("parametersNotRecorded: CloudTrail's omitted marker counts as absent", () => {
  it('an oversized request logged as { reason, omitted: true } is not recorded, like null or a missing key', () => {
    const marker = { reason: 'requestParameters too large', omitted: true };
    expect(parametersNotRecorded(record({ requestParameters: marker }))).toBe(true);
    expect(parametersNotRecorded(record({ requestParameters: { omitted: 'true' } }))).toBe(true);
    expect(parametersNotRecorded(record({ requestParameters: null }))).toBe(true);
    expect(parametersNotRecorded(record({}))).toBe(true);
  });

  it('real parameters are recorded, even one that happens to be called omitted', () => {
    expect(parametersNotRecorded(record({ requestParameters: { roleName: 'x' } }))).toBe(false);
    expect(isOmittedMarker({ omitted: true, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' })).toBe(false);
    expect(isOmittedMarker({ reason: 'requestParameters too large', omitted: false })).toBe(false);
    expect(isOmittedMarker([{ omitted: true }])).toBe(false);
  });
});

describe('isServiceInvoked', () => {
  it.each([
    ['a person', record({}), false],
    ['a service event', record({ eventType: 'AwsServiceEvent' }), true],
    ['an AWS service identity', record({ userIdentity: { type: 'AWSService', invokedBy: 'sso.amazonaws.com' } }), true],
    [
      'a service acting through invokedBy',
      record({ userIdentity: { type: 'AssumedRole', invokedBy: 'sso.amazonaws.com' } }),
      true,
    ],
    [
      'CloudFormation for a caller',
      record({ userIdentity: { type: 'AssumedRole', invokedBy: 'cloudformation.amazonaws.com' } }),
      false,
    ],
    [
      'Service Catalog for a caller',
      record({ userIdentity: { type: 'AssumedRole', invokedBy: 'servicecatalog.amazonaws.com' } }),
      false,
    ],
    [
      'the console (older records)',
      record({ userIdentity: { type: 'IAMUser', invokedBy: 'signin.amazonaws.com' } }),
      false,
    ],
    [
      'invokedBy that is not an AWS service',
      record({ userIdentity: { type: 'IAMUser', invokedBy: 'example.com' } }),
      false,
    ],
  ] as const)('%s → %s', (_name, e, expected) => {
    expect(isServiceInvoked(e)).toBe(expected);
  });
});

describe('principalArn', () => {
  it('names the role behind an assumed-role session, and the identity otherwise', () => {
    const role = 'arn:aws:iam::111122223333:role/deploy-role';
    const session = record({
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::111122223333:assumed-role/deploy-role/ci',
        sessionContext: { sessionIssuer: { type: 'Role', arn: role } },
      },
    });
    expect(principalArn(session)).toBe(role);
    expect(principalArn(record({}))).toBe('arn:aws:iam::111122223333:user/alice');
  });
});

describe('checkRecord', () => {
  it.each([
    ['not an object', [], 'record is array, not a JSON object'],
    ['a numeric eventID', { ...record({}), eventID: 7 }, 'record eventID is number, not string'],
    ['an empty eventID', { ...record({}), eventID: '' }, 'record has no eventID'],
    ['an empty eventName', { ...record({}), eventName: '' }, 'record has no eventName'],
    ['a numeric eventSource', { ...record({}), eventSource: 7 }, 'record eventSource is number, not string'],
    ['an eventTime object', { ...record({}), eventTime: {} }, 'record eventTime is object, not string'],
    ['bad eventTime', { ...record({}), eventTime: 'yesterday' }, 'record eventTime is not a timestamp: "yesterday"'],
    ['a null userIdentity', { ...record({}), userIdentity: null }, 'record userIdentity is null, not object'],
    ['a string userIdentity', { ...record({}), userIdentity: 'alice' }, 'record userIdentity is string, not object'],
  ] as const)('rejects %s', (_name, value, error) => {
    expect(checkRecord(value)).toEqual({ ok: false, error });
  });

  it('reads a record without eventID or userIdentity (test events, exports) with named stand-ins', () => {
    const { eventID: _id, userIdentity: _who, ...bare } = record({});
    const checked = checkRecord(bare);
    if (!checked.ok) throw new Error(checked.error);
    expect(checked.record.eventID).toMatch(/^derived-[0-9a-f]{32}$/);
    expect(checked.record.userIdentity).toEqual({});
    expect(checked.notes).toEqual([
      `eventID: missing; ${checked.record.eventID} derived from the record's content`,
      'userIdentity: missing; read as an unknown caller',
    ]);
    // The same record is the same event; another record is another.
    expect(checkRecord({ ...bare })).toMatchObject({ record: { eventID: checked.record.eventID } });
    expect(checkRecord({ ...bare, eventName: 'Other' })).not.toMatchObject({
      record: { eventID: checked.record.eventID },
    });
    const withId = checkRecord({ ...bare, eventID: 'e-1' });
    expect(withId).toMatchObject({ ok: true, record: { eventID: 'e-1', userIdentity: {} } });
    expect(withId.ok && withId.notes).toEqual(['userIdentity: missing; read as an unknown caller']);
  });

  it('accepts a record and fills a missing region', () => {
    const { awsRegion: _drop, ...noRegion } = record({});
    expect(checkRecord(noRegion)).toEqual({
      ok: true,
      record: { ...noRegion, awsRegion: 'unknown' },
      timeMs: Date.parse(noRegion.eventTime),
    });
  });
});

describe('isJsonObject', () => {
  it.each<[JsonValue | undefined, boolean]>([
    [{}, true],
    [{ a: 1 }, true],
    [[], false],
    [[{ a: 1 }], false],
    [null, false],
    [undefined, false],
    ['{}', false],
    [0, false],
    [true, false],
  ])('%j: %s', (v, expected) => {
    expect(isJsonObject(v)).toBe(expected);
  });
});

/** Every field path the boundary checks, with its spec: `userIdentity.sessionContext.sessionIssuer.arn`, … */
const leaves = (shape: Shape, prefix: string[] = []): { path: string[]; spec: FieldSpec }[] =>
  Object.entries(shape).flatMap(([key, spec]) => {
    const path = [...prefix, key];
    if (typeof spec === 'string') return [{ path, spec }];
    const inner = 'object' in spec ? spec.object : spec.array;
    // An array of shapes is checked through its first element.
    const below = 'object' in spec ? path : [...path.slice(0, -1), `${key}[0]`];
    return [{ path, spec }, ...leaves(inner, below)];
  });

const WRONG: Readonly<Record<string, unknown>> = {
  number: 7,
  string: 'x',
  boolean: true,
  null: null,
  array: [],
  object: {},
};

const fits = (spec: FieldSpec, type: string): boolean => {
  if (spec === 'string' || spec === 'boolean') return type === spec;
  if (spec === 'json-object') return type === 'object';
  if (spec === 'json-object-or-null') return type === 'object' || type === 'null';
  return 'object' in spec ? type === 'object' : type === 'array';
};

/** A full record: every field of the shape present with a valid value, so each can be broken in turn. */
const full = {
  ...record({}),
  eventVersion: '1.11',
  sourceIPAddress: '203.0.113.7',
  userAgent: 'aws-cli/2',
  requestParameters: { a: 1 },
  responseElements: null,
  additionalEventData: { MFAUsed: 'Yes' },
  errorCode: 'AccessDenied',
  errorMessage: 'no',
  requestID: 'r1',
  eventType: 'AwsApiCall',
  eventCategory: 'Management',
  readOnly: false,
  managementEvent: true,
  sharedEventID: 's1',
  sessionCredentialFromConsole: 'true',
  resources: [{ ARN: 'arn:aws:s3:::b', accountId: '111122223333', type: 'AWS::S3::Bucket' }],
  userIdentity: {
    type: 'AssumedRole',
    principalId: 'AROA:alice',
    arn: 'arn:aws:sts::111122223333:assumed-role/admin/alice',
    accountId: '111122223333',
    accessKeyId: 'ASIA',
    userName: 'alice',
    invokedBy: 'cloudformation.amazonaws.com',
    sessionContext: {
      attributes: { creationDate: '2026-11-02T09:00:00Z', mfaAuthenticated: 'true' },
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROA',
        arn: 'arn:aws:iam::111122223333:role/admin',
        accountId: '111122223333',
        userName: 'admin',
      },
    },
  },
};

/** Set `path` (with `name[0]` stepping into an array) to `value` in a deep copy. */
const setAt = (value: unknown, path: readonly string[], to: unknown): unknown => {
  const copy = structuredClone(value) as Record<string, unknown>;
  let at: Record<string, unknown> = copy;
  path.forEach((step, i) => {
    const [, key = step, index] = /^(.*)\[(\d+)\]$/.exec(step) ?? [];
    const last = i === path.length - 1;
    if (index === undefined) {
      if (last) at[key] = to;
      else at = at[key] as Record<string, unknown>;
    } else {
      const list = at[key] as unknown[];
      if (last) list[Number(index)] = to;
      else at = list[Number(index)] as Record<string, unknown>;
    }
  });
  return copy;
};

describe('checkRecord: the typed boundary', () => {
  it('returns a valid record itself, uncopied (the hot path allocates nothing)', () => {
    const checked = checkRecord(full);
    expect(checked).toEqual({ ok: true, record: full, timeMs: Date.parse(full.eventTime) });
    expect(checked.ok && checked.record).toBe(full);
  });

  const required = new Set<string>([...REQUIRED_RECORD_FIELDS, 'userIdentity']);
  const cases = leaves(RECORD_SHAPE).flatMap(({ path, spec }) =>
    Object.keys(WRONG)
      .filter((type) => !fits(spec, type))
      .map((type) => [path.join('.'), type, path, spec] as const),
  );

  // Every field of the spec, at every depth, set to every wrong JSON type: also what keeps the hand-written
  // fast path from falling behind the spec (a field it forgot would pass unnoted).
  it.each(cases)('%s as %s: rejected if required, else dropped and named', (name, type, path) => {
    const checked = checkRecord(setAt(full, path, WRONG[type]));
    if (path.length === 1 && required.has(name)) {
      expect(checked).toEqual({
        ok: false,
        error: `record ${name} is ${type}, not ${name === 'userIdentity' ? 'object' : 'string'}`,
      });
      return;
    }
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    expect(checked.notes).toHaveLength(1);
    expect(checked.notes?.[0]).toMatch(new RegExp(`^${name.replace(/[.[\]]/g, '\\$&')}: ${type}, not `));
    const dropped = /\[0\]$/.test(path.at(-1) ?? '')
      ? setAt(full, [...path.slice(0, -1), (path.at(-1) ?? '').replace('[0]', '')], [])
      : JSON.parse(JSON.stringify(setAt(full, path, undefined)));
    const expected = name === 'awsRegion' ? { ...(dropped as object), awsRegion: 'unknown' } : dropped;
    expect(checked.record).toEqual(expected);
  });

  it('drops the wrong-typed fields the issue names, and keeps the rest', () => {
    const bad = {
      ...full,
      recipientAccountId: 7,
      requestParameters: 'x',
      resources: {},
      userIdentity: { ...full.userIdentity, arn: {}, userName: [] },
    };
    const checked = checkRecord(bad);
    expect(checked.ok && checked.notes).toEqual([
      'userIdentity.arn: object, not string; ignored',
      'userIdentity.userName: array, not string; ignored',
      'requestParameters: string, not object or null; ignored',
      'recipientAccountId: number, not string; ignored',
      'resources: object, not array of objects; ignored',
    ]);
    const { userIdentity } = checked.ok ? checked.record : full;
    expect(userIdentity.arn).toBeUndefined();
    expect(userIdentity.type).toBe('AssumedRole');
    expect(bad.userIdentity.arn).toEqual({}); // the input is never mutated
  });

  it('keeps the good elements of resources and drops the others', () => {
    const checked = checkRecord({ ...full, resources: [5, { ARN: 1, type: 't' }, { ARN: 'arn:a' }] });
    expect(checked.ok && checked.record.resources).toEqual([{ type: 't' }, { ARN: 'arn:a' }]);
    expect(checked.ok && checked.notes).toEqual([
      'resources[0]: number, not object; ignored',
      'resources[1].ARN: number, not string; ignored',
    ]);
  });
});

describe('fitsRecord: the fast path agrees with the spec both ways', () => {
  const required = new Set<string>([...REQUIRED_RECORD_FIELDS, 'userIdentity']);
  const optional = leaves(RECORD_SHAPE).filter(({ path }) => !(path.length === 1 && required.has(path[0] ?? '')));

  it('a full valid record fits', () => {
    expect(fitsRecord(full)).toBe(true);
  });

  it('a record with only the required fields fits', () => {
    expect(fitsRecord({ ...record({}), userIdentity: {} })).toBe(true);
  });

  // Any optional field, at any depth, may be absent: the fast path must not send such a record to the slow one.
  it.each(optional.map(({ path }) => [path.join('.'), path] as const))('%s absent: still fits', (_name, path) => {
    const without = JSON.parse(JSON.stringify(setAt(full, path, undefined))) as Record<string, unknown>;
    expect(fitsRecord(without)).toBe(true);
    const filled = path.join('.') === 'awsRegion' ? { ...without, awsRegion: 'unknown' } : without;
    expect(checkRecord(without)).toEqual({ ok: true, record: filled, timeMs: Date.parse(full.eventTime) });
  });

  it.each([
    ['readOnly true', { ...full, readOnly: true }],
    ['no resources', { ...full, resources: [] }],
    ['an empty session context', { ...full, userIdentity: { ...full.userIdentity, sessionContext: {} } }],
  ])('%s fits', (_name, value) => {
    expect(fitsRecord(value)).toBe(true);
  });

  // The other side: every wrong type of every optional field leaves the fast path (and is then dropped).
  it.each(
    optional.flatMap(({ path, spec }) =>
      Object.keys(WRONG)
        .filter((type) => !fits(spec, type))
        .map((type) => [path.join('.'), type, path] as const),
    ),
  )('%s as %s: does not fit', (_name, type, path) => {
    expect(fitsRecord(setAt(full, path, WRONG[type]) as Record<string, unknown>)).toBe(false);
  });
});

describe('checkRecord: what the slow path copies and what it says', () => {
  it('names each kind of spec in its own words', () => {
    const bad = {
      ...full,
      additionalEventData: 'x',
      responseElements: 3,
      readOnly: 'no',
      userIdentity: { ...full.userIdentity, sessionContext: [] },
    };
    const checked = checkRecord(bad);
    expect(checked.ok && checked.notes).toEqual([
      'userIdentity.sessionContext: array, not object; ignored',
      'responseElements: number, not object or null; ignored',
      'additionalEventData: string, not object; ignored',
      'readOnly: string, not boolean; ignored',
    ]);
  });

  it('removes a dropped field rather than leaving it as undefined', () => {
    const checked = checkRecord({ ...full, userAgent: 5, userIdentity: { ...full.userIdentity, arn: 7 } });
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    expect(Object.keys(checked.record)).not.toContain('userAgent');
    expect(Object.keys(checked.record.userIdentity)).not.toContain('arn');
  });

  it('copies only the objects holding a wrong field; the rest are shared, not copied', () => {
    const checked = checkRecord({ ...full, errorCode: 403 });
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    expect(checked.record.userIdentity).toBe(full.userIdentity);
    expect(checked.record.resources).toBe(full.resources);
    expect(checked.record.requestParameters).toBe(full.requestParameters);
    const element = { ARN: 'arn:aws:s3:::kept' };
    const mixed = checkRecord({ ...full, resources: [element, 5] });
    expect(mixed.ok && mixed.record.resources?.[0]).toBe(element);
  });

  it('passes keys the shape does not name through untouched, whatever they are called', () => {
    const extra = { undefined: 5, addendum: { reason: 'late' } };
    const checked = checkRecord({ ...full, ...extra, errorCode: 403 });
    expect(checked.ok && checked.notes).toEqual(['errorCode: number, not string; ignored']);
    expect(checked.ok && checked.record).toMatchObject(extra);
  });

  it('quotes at most 40 characters of an eventTime that is not a timestamp', () => {
    const eventTime = `${'x'.repeat(40)}${'y'.repeat(60)}`;
    expect(checkRecord({ ...record({}), eventTime })).toEqual({
      ok: false,
      error: `record eventTime is not a timestamp: "${'x'.repeat(40)}"`,
    });
  });
});

describe('reading a record', () => {
  it.each([
    ['no errorCode', undefined, true],
    ['an empty errorCode', '', true],
    ['AccessDenied', 'AccessDenied', false],
  ])('isSuccess with %s: %s', (_name, errorCode, expected) => {
    expect(isSuccess(record(errorCode === undefined ? {} : { errorCode }))).toBe(expected);
  });

  it('an AWS service identity with no invokedBy is service-invoked', () => {
    expect(isServiceInvoked(record({ userIdentity: { type: 'AWSService' } }))).toBe(true);
  });

  const issuer = 'arn:aws:iam::111122223333:role/deploy-role';
  it.each<[string, CloudTrailRecord['userIdentity'], string]>([
    [
      'its own ARN first',
      { arn: 'arn:aws:iam::111122223333:user/alice', principalId: 'AIDA' },
      'arn:aws:iam::111122223333:user/alice',
    ],
    ['else the issuing role', { sessionContext: { sessionIssuer: { arn: issuer } }, principalId: 'AROA' }, issuer],
    ['else the principal id', { sessionContext: {}, principalId: 'AROA:alice' }, 'AROA:alice'],
    ['else "unknown"', {}, 'unknown'],
  ])('actorArn: %s', (_name, userIdentity, expected) => {
    expect(actorArn(record({ userIdentity }))).toBe(expected);
  });

  it.each<[string, CloudTrailRecord['userIdentity'], string]>([
    [
      'a federated user is itself, not the IAM user that federated it',
      {
        type: 'FederatedUser',
        arn: 'arn:aws:sts::111122223333:federated-user/bob',
        sessionContext: { sessionIssuer: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' } },
      },
      'arn:aws:sts::111122223333:federated-user/bob',
    ],
    [
      'an assumed role with no session context falls back to its own ARN',
      { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/r/s' },
      'arn:aws:sts::111122223333:assumed-role/r/s',
    ],
    [
      'an assumed role whose context names no issuer falls back to its own ARN',
      { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/r/s', sessionContext: {} },
      'arn:aws:sts::111122223333:assumed-role/r/s',
    ],
  ])('principalArn: %s', (_name, userIdentity, expected) => {
    expect(principalArn(record({ userIdentity }))).toBe(expected);
  });

  it.each<[string, Partial<CloudTrailRecord>, string]>([
    ['the recipient account first', { recipientAccountId: '444455556666' }, '444455556666'],
    ['else the caller account', { recipientAccountId: undefined }, '111122223333'],
    ['else "unknown"', { recipientAccountId: undefined, userIdentity: {} }, 'unknown'],
  ])('accountOf: %s', (_name, overrides, expected) => {
    const e = record({ userIdentity: { accountId: '111122223333' }, ...overrides });
    expect(accountOf(e)).toBe(expected);
  });

  const params = { a: { b: 'deep', n: 7, list: ['x'], none: null }, s: 'top' };
  it.each<[string, string[], JsonValue | undefined]>([
    ['no path: the object itself', [], params],
    ['one step', ['s'], 'top'],
    ['two steps', ['a', 'b'], 'deep'],
    ['a missing key', ['z'], undefined],
    ['through a string', ['s', 'length'], undefined],
    ['through an array', ['a', 'list', '0'], undefined],
    ['through null', ['a', 'none', 'x'], undefined],
    ['through a number', ['a', 'n', 'x'], undefined],
  ])('param: %s', (_name, path, expected) => {
    expect(param(params, ...path)).toEqual(expected);
  });

  it('param of null or undefined is undefined', () => {
    expect(param(null)).toBeUndefined();
    expect(param(undefined, 'a')).toBeUndefined();
  });

  it.each<[string[], string | undefined]>([
    [['s'], 'top'],
    [['a', 'b'], 'deep'],
    [['a', 'n'], undefined],
    [['a'], undefined],
    [['z'], undefined],
  ])('stringParam %j: %j', (path, expected) => {
    expect(stringParam(params, ...path)).toBe(expected);
  });
});
