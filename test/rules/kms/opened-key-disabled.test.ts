import { describe, expect, it } from 'vitest';
import type { DetectionConfig } from '../../../rules/core/config.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { createDetector } from '../../../rules/core/detector.ts';
import { buildCatalogue } from '../../../rules/core/engine.ts';
import { fromRecord } from '../../../rules/core/events.ts';
import type { Finding } from '../../../rules/core/finding.ts';
import { createMemoryCounterStore, createMemoryHistoryStore, createMemoryLedger } from '../../../rules/core/memory.ts';
import type { AuditEvent } from '../../../rules/core/types.ts';
import type { Overrides } from '../../../rules/fixtures/index.ts';
import { fixture } from '../../../rules/fixtures/index.ts';
import { rule } from '../../../rules/kms/opened-key-disabled.rule.ts';

const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ON_KEY = {
  requestParameters: { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab' },
  resources: [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: KEY }],
};
const ORG: DetectionConfig = {
  ...DEFAULT_DETECTION_CONFIG,
  organization: { id: 'o-exampleorgid', accounts: ['111122223333', '444455556666'] },
};

let seq = 0;
const at = (name: string, minute: number, overrides: Overrides = {}): AuditEvent => {
  seq++;
  const parsed = fromRecord(
    fixture(name, {
      eventID: `5d1e2f3a-4b5c-4d6e-8f70-${String(seq).padStart(12, '0')}`,
      eventTime: new Date(Date.UTC(2026, 10, 2, 17, minute, 0)).toISOString().replace('.000', ''),
      ...overrides,
    }),
  );
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};

/** Events in separate batches, as they would arrive minutes apart: history is read before each batch. */
const run = async (batches: readonly (readonly AuditEvent[])[], config = ORG): Promise<Finding[]> => {
  const delivered: Finding[] = [];
  const detector = createDetector({
    catalogue: buildCatalogue([rule]),
    config,
    counters: createMemoryCounterStore(),
    ledger: createMemoryLedger(),
    history: createMemoryHistoryStore(),
    sink: { deliver: async (f) => void delivered.push(f), fold: async () => {} },
  });
  for (const batch of batches) await detector.process(batch);
  return delivered;
};

const member = (policy: string) =>
  JSON.stringify({
    Statement: [
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${policy}:root` }, Action: 'kms:Decrypt', Resource: '*' },
    ],
  });

describe('kms.opened-key-disabled', () => {
  it('remembers a key policy granting a foreign account and pages when that key is disabled', async () => {
    const found = await run([[at('kms/PutKeyPolicy', 0)], [at('kms/DisableKey', 20, ON_KEY)]]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ ruleId: 'kms.opened-key-disabled', severity: 'critical', resources: [KEY] });
  });

  it('scheduled deletion of the same key counts too', async () => {
    const found = await run([[at('kms/PutKeyPolicy', 0)], [at('kms/ScheduleKeyDeletion', 30, ON_KEY)]]);
    expect(found.map((f) => f.ruleId)).toEqual(['kms.opened-key-disabled']);
  });

  it.each([
    ['a different key is disabled', [at('kms/PutKeyPolicy', 0)], at('kms/DisableKey', 20)],
    [
      'the policy granted only a member account',
      [at('kms/PutKeyPolicy', 0, { requestParameters: { policy: member('444455556666') } })],
      at('kms/DisableKey', 20, ON_KEY),
    ],
    [
      'the policy change was denied',
      [at('kms/PutKeyPolicy', 0, { errorCode: 'AccessDeniedException', errorMessage: 'denied' })],
      at('kms/DisableKey', 20, ON_KEY),
    ],
    ['nothing was opened', [], at('kms/DisableKey', 20, ON_KEY)],
  ])('no finding when %s', async (_name, before, disable) => {
    expect(await run([before, [disable]])).toEqual([]);
  });

  it('with no organisation configured, a grant to any other account counts', async () => {
    const found = await run(
      [
        [at('kms/PutKeyPolicy', 0, { requestParameters: { policy: member('444455556666') } })],
        [at('kms/DisableKey', 20, ON_KEY)],
      ],
      DEFAULT_DETECTION_CONFIG,
    );
    expect(found).toHaveLength(1);
  });
});
