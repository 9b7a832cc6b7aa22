import { describe, expect, it } from 'vitest';
import { cloudTrailFromOcsf, fromForeignRecord } from '../../cli/foreign-records.ts';
import type { CloudTrailRecord } from '../../rules/core/cloudtrail.ts';
import type { DetectionConfig } from '../../rules/core/config.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import { evaluate } from '../../rules/core/engine.ts';
import type { ParsedEvent } from '../../rules/core/events.ts';
import { fromRecord } from '../../rules/core/events.ts';
import { fixture, fixtureNames } from '../../rules/fixtures/index.ts';
import { catalogue } from '../../rules/index.ts';
import { envelope, jsonLines, scanJsonl, stopLogging, tempTree } from './helpers.ts';

const CONFIG: DetectionConfig = {
  ...DEFAULT_DETECTION_CONFIG,
  organization: { accounts: ['111122223333', '444455556666'] },
};

/** A CloudTrail record as read from a fixture, with the fields this mapping names (apiVersion, vpcEndpointId). */
type Rec = CloudTrailRecord & { readonly apiVersion?: string; readonly vpcEndpointId?: string };

/**
 * CloudTrail → OCSF 1.1 API Activity, field by field as Amazon Security Lake's published CloudTrail mapping
 * (source version 2) names them: what a Security Lake export of the record holds.
 */
const securityLakeOf = (r: Rec): Record<string, unknown> =>
  JSON.parse(
    JSON.stringify({
      class_uid: 6003,
      class_name: 'API Activity',
      category_uid: 6,
      time: Date.parse(r.eventTime),
      time_dt: r.eventTime,
      status: r.errorCode === undefined ? 'Success' : 'Failure',
      metadata: {
        uid: r.eventID,
        event_code: r.eventType,
        version: '1.1.0',
        product: {
          name: 'CloudTrail',
          vendor_name: 'AWS',
          version: r.eventVersion,
          feature: { name: r.eventCategory },
        },
      },
      api: {
        operation: r.eventName,
        service: { name: r.eventSource },
        version: r.apiVersion,
        request: { uid: r.requestID, data: r.requestParameters ?? undefined },
        response: { error: r.errorCode, message: r.errorMessage, data: r.responseElements ?? undefined },
      },
      actor: {
        user: {
          type: r.userIdentity?.type,
          uid: r.userIdentity?.arn,
          uid_alt: r.userIdentity?.principalId,
          name: r.userIdentity?.userName,
          credential_uid: r.userIdentity?.accessKeyId,
          account: { uid: r.userIdentity?.accountId },
        },
        session: {
          issuer: r.userIdentity?.sessionContext?.sessionIssuer?.arn,
          is_mfa:
            r.userIdentity?.sessionContext?.attributes?.mfaAuthenticated === undefined
              ? undefined
              : r.userIdentity.sessionContext.attributes.mfaAuthenticated === 'true',
          created_time_dt: r.userIdentity?.sessionContext?.attributes?.creationDate,
        },
        invoked_by: r.userIdentity?.invokedBy,
      },
      src_endpoint: { ip: r.sourceIPAddress, uid: r.vpcEndpointId },
      http_request: { user_agent: r.userAgent },
      cloud: { region: r.awsRegion, provider: 'AWS' },
      unmapped: {
        recipientAccountId: r.recipientAccountId,
        readOnly: r.readOnly,
        additionalEventData: r.additionalEventData,
      },
    }),
  );

const ruleIds = (parsed: ParsedEvent): string[] => {
  if (!parsed.ok) throw new Error(parsed.error);
  return evaluate(catalogue, CONFIG, parsed.event)
    .flatMap((v) => (v.kind === 'match' ? [v.rule.id] : []))
    .sort();
};

const cloudTrailFixtures = fixtureNames().filter((name) => {
  const r = fixture(name);
  return r['detail-type'] === undefined && typeof r.eventSource === 'string';
});

describe('Security Lake (OCSF) records read back as CloudTrail', () => {
  it('covers the fixtures', () => expect(cloudTrailFixtures.length).toBeGreaterThan(400));

  // Every scrubbed record of the catalogue, exported the way Security Lake stores it, gets the same verdicts.
  it.each(cloudTrailFixtures)('%s: the same rules match', (name) => {
    const record = fixture(name);
    const ocsf = fromForeignRecord(securityLakeOf(record as unknown as Rec));
    expect(ocsf).toBeDefined();
    expect(ruleIds(ocsf as ParsedEvent)).toEqual(ruleIds(fromRecord(record)));
  });

  it("reads Security Lake's first mapping: ARN in uuid, flattened unmapped parameters", () => {
    const record = cloudTrailFromOcsf({
      class_uid: 3005,
      time: 1768500000000,
      metadata: { uid: 'ev-1', product: { version: '1.08' } },
      api: { operation: 'StopLogging', service: { name: 'cloudtrail.amazonaws.com' }, request: { uid: 'req-1' } },
      actor: {
        user: {
          type: 'IAMUser',
          uid: 'AIDAEXAMPLE',
          uuid: 'arn:aws:iam::111122223333:user/alice',
          account_uid: '111122223333',
          name: 'alice',
        },
        session: { mfa: false, issuer: 'arn:aws:iam::111122223333:role/Ops' },
      },
      src_endpoint: { ip: '203.0.113.7' },
      cloud: { region: 'eu-west-1' },
      unmapped: {
        recipientAccountId: '111122223333',
        'requestParameters.name': 'main-trail',
        'requestParameters.tags.owner': 'sec',
      },
    });
    expect(record).toEqual({
      eventVersion: '1.08',
      eventTime: '2026-01-15T18:00:00.000Z',
      eventSource: 'cloudtrail.amazonaws.com',
      eventName: 'StopLogging',
      awsRegion: 'eu-west-1',
      eventID: 'ev-1',
      requestID: 'req-1',
      userIdentity: {
        type: 'IAMUser',
        principalId: 'AIDAEXAMPLE',
        arn: 'arn:aws:iam::111122223333:user/alice',
        accountId: '111122223333',
        userName: 'alice',
        sessionContext: {
          sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/Ops', userName: 'Ops' },
          attributes: { mfaAuthenticated: 'false' },
        },
      },
      sourceIPAddress: '203.0.113.7',
      requestParameters: { name: 'main-trail', tags: { owner: 'sec' } },
      recipientAccountId: '111122223333',
    });
  });

  it('gives a console sign-in its outcome from status when the response was not kept', () => {
    const base = {
      class_uid: 3002,
      time_dt: '2026-01-15T18:00:00Z',
      metadata: { uid: 'ev-2', event_code: 'AwsConsoleSignIn' },
      api: { operation: 'ConsoleLogin', service: { name: 'signin.amazonaws.com' } },
      actor: { user: { type: 'Root', uid: 'arn:aws:iam::111122223333:root' } },
      dst_endpoint: { svc_name: 'https://console.aws.amazon.com/console/home' },
    };
    expect(cloudTrailFromOcsf({ ...base, status: 'Failure' })).toMatchObject({
      responseElements: { ConsoleLogin: 'Failure' },
      additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home' },
      eventType: 'AwsConsoleSignIn',
    });
    expect(cloudTrailFromOcsf({ ...base, status: 'Success' })).toMatchObject({
      responseElements: { ConsoleLogin: 'Success' },
    });
  });

  it('leaves other JSON alone, and refuses an OCSF record without a time like any record', () => {
    expect(fromForeignRecord({ class_uid: 6003 })).toBeUndefined();
    expect(fromForeignRecord({ api: {} })).toBeUndefined();
    expect(fromForeignRecord({ class_uid: 6003, api: { operation: 'StopLogging' } })).toEqual({
      ok: false,
      error: 'record has no eventTime',
    });
  });

  it("reads the original event a pipeline kept as text (ECS event.original, Splunk _raw, a log event's message)", () => {
    const record = stopLogging('ev-kept');
    const text = JSON.stringify(record);
    const ids = (value: Record<string, unknown>) => {
      const parsed = fromForeignRecord(value);
      return parsed?.ok ? parsed.event.id : parsed;
    };
    expect(ids({ '@timestamp': record.eventTime, event: { action: 'StopLogging', original: text } })).toBe('ev-kept');
    expect(ids({ preview: false, result: { _raw: text, sourcetype: 'aws:cloudtrail' } })).toBe('ev-kept');
    expect(ids({ _raw: text })).toBe('ev-kept');
    expect(ids({ id: '3771', timestamp: 1762077138000, message: text })).toBe('ev-kept');
    // An EventBridge envelope kept as text, and a lookup entry kept as text, are read as they would be bare.
    expect(ids({ message: JSON.stringify(envelope(record)) })).toBe('ev-kept');
    expect(ids({ message: JSON.stringify({ EventId: 'x', CloudTrailEvent: text }) })).toBe('ev-kept');
    expect(ids({ message: '{"eventID": ' })).toEqual({
      ok: false,
      error: expect.stringMatching(/^message is not JSON: /),
    });
    // Plain text in a message field is not an event kept as text.
    expect(fromForeignRecord({ message: 'user alice logged in' })).toBeUndefined();
  });

  it('scan finds the attack in a Security Lake export (JSON Lines), naming a bad line', async () => {
    const dir = tempTree({
      'security-lake.json': jsonLines([
        securityLakeOf(stopLogging('ev-sl') as unknown as Rec),
        { class_uid: 6003, api: { operation: 'StopLogging' } },
      ]),
    });
    const { findings, stderr } = await scanJsonl([dir]);
    expect(findings.map((f) => f.ruleId)).toEqual(['cloudtrail.logging-stopped']);
    expect(stderr).toContain('security-lake.json:2: record has no eventTime');
  });
});
