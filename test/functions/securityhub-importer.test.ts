import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsFindingSink } from '../../functions/shared/adapters/aws-finding-sink.ts';
import {
  asffResourceType,
  createSecurityHubImporter,
  SecurityHubRejected,
} from '../../functions/shared/adapters/securityhub-importer.ts';
import { parseEvaluateEnv, parseSecurityHubProductArn } from '../../functions/shared/env.ts';
import { foldInto } from '../../rules/core/finding.ts';
import { sampleFinding } from './support.ts';

const TARGET = { partition: 'aws', region: 'us-east-1', account: '111122223333' };
const KEY = 'findings/dt=2026-11-02/critical/0123456789abcdef0123456789abcdef.json';
const hub = mockClient(SecurityHubClient);
afterEach(() => hub.reset());

const clock = (...isos: string[]) => {
  let i = 0;
  return () => new Date(isos[Math.min(i++, isos.length - 1)] ?? '');
};
const noSleep = async (): Promise<void> => {};

/** The ASFF the sample finding becomes, imported at `updatedAt` with `count` events. */
const expected = (updatedAt: string, count: number, lastSeen = '2026-11-02T10:00:00.000Z') => ({
  Findings: [
    {
      SchemaVersion: '2018-10-08',
      Id: '0123456789abcdef0123456789abcdef',
      ProductArn: 'arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default',
      GeneratorId: 'cloudtrail.logging-stopped',
      AwsAccountId: '111122223333',
      Region: 'us-east-1',
      Types: ['Software and Configuration Checks/Industry and Regulatory Standards/ISO 27001', 'TTPs/Defense Evasion'],
      FindingProviderFields: {
        Severity: { Label: 'CRITICAL', Original: 'critical' },
        Types: [
          'Software and Configuration Checks/Industry and Regulatory Standards/ISO 27001',
          'TTPs/Defense Evasion',
        ],
      },
      FirstObservedAt: '2026-11-02T10:00:00.000Z',
      LastObservedAt: lastSeen,
      CreatedAt: '2026-11-02T10:00:00.000Z',
      UpdatedAt: updatedAt,
      Severity: { Label: 'CRITICAL', Original: 'critical' },
      Title: 'CloudTrail logging stopped or trail deleted',
      Description: 'A trail stopped logging or was deleted.',
      Remediation: { Recommendation: { Text: '1. Restart logging. 2. Review the actor.' } },
      Compliance: { Status: 'FAILED', RelatedRequirements: ['ISO/IEC 27001:2022 Annex A A.8.15 Logging'] },
      Resources: [
        {
          Type: 'AwsCloudTrailTrail',
          Id: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail',
          Partition: 'aws',
          Region: 'us-east-1',
        },
      ],
      ProductFields: {
        'trailwarden/ruleId': 'cloudtrail.logging-stopped',
        'trailwarden/account': '111122223333',
        'trailwarden/count': String(count),
        'trailwarden/actor': 'arn:aws:iam::111122223333:user/mallory',
        'trailwarden/sourceIp': '203.0.113.66',
        'trailwarden/evidenceKey': KEY,
      },
      RecordState: 'ACTIVE',
      Workflow: { Status: 'NEW' },
    },
  ],
});

describe('Security Hub importer', () => {
  it('imports a new finding in ASFF into the account default product', async () => {
    hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    const importer = createSecurityHubImporter(new SecurityHubClient({ region: 'us-east-1' }), TARGET, {
      now: clock('2026-11-02T10:01:00.000Z'),
    });
    await importer.import(sampleFinding(), KEY);
    const calls = hub.commandCalls(BatchImportFindingsCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([expected('2026-11-02T10:01:00.000Z', 1)]);
  });

  it('imports a fold as the same finding: same Id, later UpdatedAt, the new count', async () => {
    hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    const importer = createSecurityHubImporter(new SecurityHubClient({ region: 'us-east-1' }), TARGET, {
      now: clock('2026-11-02T10:01:00.000Z', '2026-11-02T10:06:00.000Z'),
    });
    const first = sampleFinding();
    await importer.import(first, KEY);
    const folded = foldInto(first, sampleFinding({ eventIds: ['e2'], lastSeen: '2026-11-02T10:05:00.000Z' }));
    await importer.import(folded, KEY);
    expect(hub.commandCalls(BatchImportFindingsCommand).map((c) => c.args[0].input)).toEqual([
      expected('2026-11-02T10:01:00.000Z', 1),
      expected('2026-11-02T10:06:00.000Z', 2, '2026-11-02T10:05:00.000Z'),
    ]);
  });

  it('throws on a finding Security Hub lists as failed, naming it and why', async () => {
    hub.on(BatchImportFindingsCommand).resolves({
      FailedCount: 1,
      SuccessCount: 0,
      FailedFindings: [
        { Id: '0123456789abcdef0123456789abcdef', ErrorCode: 'InvalidInput', ErrorMessage: 'bad resource' },
      ],
    });
    const importer = createSecurityHubImporter(new SecurityHubClient({ region: 'us-east-1' }), TARGET, {
      now: clock('2026-11-02T10:01:00.000Z'),
    });
    const err = await importer.import(sampleFinding(), KEY).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecurityHubRejected);
    expect(String(err)).toContain(
      'Security Hub rejected finding 0123456789abcdef0123456789abcdef: InvalidInput bad resource',
    );
  });

  it('retries a throttled import with the same input, then gives up to the failure path', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
    hub
      .on(BatchImportFindingsCommand)
      .rejectsOnce(throttled)
      .resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    const client = new SecurityHubClient({ region: 'us-east-1' });
    const importer = createSecurityHubImporter(client, TARGET, {
      now: clock('2026-11-02T10:01:00.000Z'),
      sleep: noSleep,
    });
    await importer.import(sampleFinding(), KEY);
    const inputs = hub.commandCalls(BatchImportFindingsCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([expected('2026-11-02T10:01:00.000Z', 1), expected('2026-11-02T10:01:00.000Z', 1)]);

    hub.reset();
    hub.on(BatchImportFindingsCommand).rejects(throttled);
    await expect(
      createSecurityHubImporter(client, TARGET, { now: clock('2026-11-02T10:01:00.000Z'), sleep: noSleep }).import(
        sampleFinding(),
        KEY,
      ),
    ).rejects.toThrow('Rate exceeded');
    expect(hub.commandCalls(BatchImportFindingsCommand)).toHaveLength(3);
  });

  it('names the incident in ProductFields when the finding has one', async () => {
    hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    await createSecurityHubImporter(new SecurityHubClient({ region: 'us-east-1' }), TARGET).import(
      sampleFinding({ incidentId: 'inc-42' }),
    );
    const fields = hub.commandCalls(BatchImportFindingsCommand)[0]?.args[0].input.Findings?.[0]?.ProductFields;
    expect(fields?.['trailwarden/incidentId']).toBe('inc-42');
  });

  it('marks an actively suppressed finding SUPPRESSED', async () => {
    hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    await createSecurityHubImporter(new SecurityHubClient({ region: 'us-east-1' }), TARGET).import(
      sampleFinding({ suppression: { status: 'active', reason: 'CHG-1', expires: '2026-12-01T00:00:00Z' } }),
    );
    expect(hub.commandCalls(BatchImportFindingsCommand)[0]?.args[0].input.Findings?.[0]?.Workflow).toEqual({
      Status: 'SUPPRESSED',
    });
  });

  it('imports a member account finding under the calling account, naming the member account as a resource', async () => {
    hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    await createSecurityHubImporter(new SecurityHubClient({ region: 'us-east-1' }), TARGET).import(
      sampleFinding({ account: '444455556666', resources: [] }),
    );
    const f = hub.commandCalls(BatchImportFindingsCommand)[0]?.args[0].input.Findings?.[0];
    // The default product accepts only findings whose AwsAccountId is the caller's own account.
    expect(f?.AwsAccountId).toBe('111122223333');
    expect(f?.Resources).toEqual([{ Type: 'AwsAccount', Id: 'AWS::::Account:444455556666', Region: 'us-east-1' }]);
    expect(f?.ProductFields?.['trailwarden/account']).toBe('444455556666');
  });

  it('keeps within the ASFF limits: at most 32 resources, the rest counted', async () => {
    hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    const resources = Array.from({ length: 40 }, (_, i) => `arn:aws:s3:::bucket-${i}`);
    await createSecurityHubImporter(new SecurityHubClient({ region: 'us-east-1' }), TARGET).import(
      sampleFinding({ resources }),
    );
    const f = hub.commandCalls(BatchImportFindingsCommand)[0]?.args[0].input.Findings?.[0];
    expect(f?.Resources?.map((r) => r.Id)).toEqual(resources.slice(0, 32));
    expect(f?.ProductFields?.['trailwarden/resourcesOmitted']).toBe('8');
  });

  it('imports a drill archived and marked, so no triage view or automation takes it for a real one', async () => {
    hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    await createSecurityHubImporter(new SecurityHubClient({ region: 'us-east-1' }), TARGET).import(
      sampleFinding({ drill: true }),
    );
    const f = hub.commandCalls(BatchImportFindingsCommand)[0]?.args[0].input.Findings?.[0];
    expect(f?.Title).toBe('[DRILL] CloudTrail logging stopped or trail deleted');
    expect(f?.RecordState).toBe('ARCHIVED');
    expect(f?.ProductFields?.['trailwarden/drill']).toBe('true');
  });

  it('marks a replayed finding when the finding carries the replay marker', async () => {
    hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    await createSecurityHubImporter(new SecurityHubClient({ region: 'us-east-1' }), TARGET).import({
      ...sampleFinding(),
      replay: { id: 'replay-2026-11', day: '2026-12-07' },
    });
    const f = hub.commandCalls(BatchImportFindingsCommand)[0]?.args[0].input.Findings?.[0];
    expect(f?.Title).toBe('[REPLAY] CloudTrail logging stopped or trail deleted');
    expect(f?.ProductFields?.['trailwarden/replay']).toBe('replay-2026-11');
    expect(f?.RecordState).toBe('ACTIVE');
  });

  it.each([
    [
      'a finding Security Hub rejects as invalid',
      { FailedFindings: [{ Id: 'x', ErrorCode: 'InvalidInput', ErrorMessage: 'bad' }], FailedCount: 1 },
      undefined,
    ],
    [
      'an account where Security Hub is not enabled',
      undefined,
      Object.assign(new Error('not subscribed'), { name: 'InvalidAccessException' }),
    ],
    ['a role without the grant', undefined, Object.assign(new Error('denied'), { name: 'AccessDeniedException' })],
  ])('calls %s a rejection: retrying cannot help', async (_name, output, error) => {
    if (error) hub.on(BatchImportFindingsCommand).rejects(error);
    else hub.on(BatchImportFindingsCommand).resolves({ SuccessCount: 0, ...output });
    const importer = createSecurityHubImporter(new SecurityHubClient({ region: 'us-east-1' }), TARGET, {
      sleep: noSleep,
    });
    await expect(importer.import(sampleFinding(), KEY)).rejects.toBeInstanceOf(SecurityHubRejected);
    expect(hub.commandCalls(BatchImportFindingsCommand)).toHaveLength(1);
  });

  it('calls a server error transient: the events are retried, the page waits', async () => {
    hub.on(BatchImportFindingsCommand).rejects(Object.assign(new Error('boom'), { name: 'InternalException' }));
    const importer = createSecurityHubImporter(new SecurityHubClient({ region: 'us-east-1' }), TARGET, {
      sleep: noSleep,
    });
    const err = await importer.import(sampleFinding(), KEY).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(SecurityHubRejected);
  });

  it.each([
    ['arn:aws:s3:::my-bucket', 'AwsS3Bucket'],
    ['arn:aws:iam::111122223333:role/app', 'AwsIamRole'],
    ['arn:aws:ec2:us-east-1:111122223333:security-group/sg-0123', 'AwsEc2SecurityGroup'],
    ['arn:aws:organizations::111122223333:account/o-1/444455556666', 'Other'],
    ['not an arn', 'Other'],
  ])('types %s as %s', (arn, type) => {
    expect(asffResourceType(arn)).toBe(type);
  });
});

const archive = (order: string[]) => ({
  put: async () => {
    order.push('archive');
    return { key: KEY, sha256: 'x' };
  },
  putIncident: async () => ({ key: 'incidents/x.json', sha256: 'y' }),
});

describe('AWS finding sink with Security Hub', () => {
  it('does not page when the import fails, so the retry pages once', async () => {
    const order: string[] = [];
    const sink = createAwsFindingSink(
      archive(order),
      { publish: async () => void order.push('page') },
      {
        import: async () => {
          order.push('import');
          throw new Error('Security Hub down');
        },
      },
    );
    await expect(sink.deliver(sampleFinding())).rejects.toThrow('Security Hub down');
    expect(order).toEqual(['archive', 'import']);
  });

  it('pages a finding Security Hub rejects for good, and reports the rejection: Security Hub never holds a page back', async () => {
    const order: string[] = [];
    const sink = createAwsFindingSink(
      archive(order),
      { publish: async () => void order.push('page') },
      {
        import: async () => {
          order.push('import');
          throw new SecurityHubRejected('Security Hub is not enabled in this account');
        },
      },
      { onImportRejected: (f, err) => void order.push(`rejected ${f.id}: ${err.message}`) },
    );
    await sink.deliver(sampleFinding());
    expect(order).toEqual([
      'archive',
      'import',
      'rejected 0123456789abcdef0123456789abcdef: Security Hub is not enabled in this account',
      'page',
    ]);
  });

  it('imports a fold and never pages it', async () => {
    const order: string[] = [];
    const sink = createAwsFindingSink(
      archive(order),
      { publish: async () => void order.push('page') },
      { import: async (_f, key) => void order.push(`import ${key}`) },
    );
    await sink.fold(sampleFinding());
    expect(order).toEqual(['archive', `import ${KEY}`]);
  });
});

describe('SECURITY_HUB_PRODUCT_ARN', () => {
  const env = { TABLE_NAME: 't', TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:f', EVIDENCE_BUCKET: 'b' };
  it('turns the default product ARN into the import target, and is off when unset', () => {
    expect(
      parseEvaluateEnv({
        ...env,
        SECURITY_HUB_PRODUCT_ARN: 'arn:aws-us-gov:securityhub:us-gov-west-1:111122223333:product/111122223333/default',
      }).securityHub,
    ).toEqual({ partition: 'aws-us-gov', region: 'us-gov-west-1', account: '111122223333' });
    expect(parseEvaluateEnv(env)).not.toHaveProperty('securityHub');
  });

  it.each([
    'arn:aws:securityhub:us-east-1:111122223333:product/444455556666/default',
    'arn:aws:securityhub:us-east-1::product/aws/guardduty',
    'arn:aws:securityhub:us-east-1:111122223333:hub/default',
  ])('rejects %s: only the account default product', (arn) => {
    expect(() => parseSecurityHubProductArn(arn)).toThrow(/not an account default product ARN/);
  });
});
