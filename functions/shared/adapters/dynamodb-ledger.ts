import { randomUUID } from 'node:crypto';
import type { Finding } from '../../../rules/core/finding.ts';
import { foldInto, MAX_EVENT_IDS } from '../../../rules/core/finding.ts';
import type { Admission, Clock, FindingLedger } from '../../../rules/core/ports.ts';
import { DeliveryInProgress } from '../../../rules/core/ports.ts';
import { itemKey } from './dynamodb-keys.ts';
import type { DynamoDb } from './dynamodb-port.ts';
import { isDynamoDbError } from './dynamodb-port.ts';

const MAX_ATTEMPTS = 8;
/**
 * How long a handler's claim to deliver a finding holds: longer than archiving plus paging takes, shorter
 * than the queue's visibility timeout, so a crashed holder's finding is delivered on the next retry.
 */
export const DEFAULT_CLAIM_MS = 60_000;

interface Claim {
  readonly token: string;
  readonly until: number;
}

interface Entry {
  readonly finding: Finding;
  readonly delivered: boolean;
  readonly claim: Claim | undefined;
  readonly version: number;
}

export interface LedgerOptions {
  readonly clock?: Clock;
  readonly claimMs?: number;
  /** Identifies this handler's claims; one per container. */
  readonly token?: string;
}

/**
 * `FindingLedger` on DynamoDB, one item per dedup key: which finding paged inside the window, and whether
 * its delivery completed. Conditional writes make admission race-free across concurrent handlers.
 */
export const createDynamoLedger = (client: DynamoDb, tableName: string, options: LedgerOptions = {}): FindingLedger => {
  const clock = options.clock ?? { now: () => Date.now() };
  const claimMs = options.claimMs ?? DEFAULT_CLAIM_MS;
  const token = options.token ?? randomUUID();
  const myClaim = (): Claim => ({ token, until: clock.now() + claimMs });

  const read = async (pk: string): Promise<Entry | undefined> => {
    const out = await client.call('GetItem', { TableName: tableName, Key: { pk: { S: pk } }, ConsistentRead: true });
    const item = out.Item;
    if (item === undefined) return undefined;
    const claim = item.c?.S ? (JSON.parse(item.c.S) as Claim) : undefined;
    const stored = JSON.parse(item.f?.S ?? '{}') as Finding;
    return {
      // `delivered` records the incident beside the finding's JSON (the same write), so repeats fold into it.
      finding: item.inc?.S ? { ...stored, incidentId: item.inc.S } : stored,
      delivered: item.d?.BOOL === true,
      claim,
      version: Number(item.v?.N ?? '0'),
    };
  };

  const write = async (
    pk: string,
    finding: Finding,
    delivered: boolean,
    claim: Claim | undefined,
    previous: Entry | undefined,
    windowMs: number,
  ) => {
    // From the later of event time and now: a late or replayed finding's entry must not be born expired
    // (DynamoDB would delete it, and the next retry would page again).
    const expiresAt = Math.ceil((Math.max(Date.parse(finding.firstSeen), clock.now()) + windowMs) / 1000) + 7 * 86_400;
    const trimmed =
      finding.eventIds.length > MAX_EVENT_IDS
        ? { ...finding, eventIds: finding.eventIds.slice(-MAX_EVENT_IDS) }
        : finding;
    await client.call('PutItem', {
      TableName: tableName,
      Item: {
        pk: { S: pk },
        id: { S: finding.id },
        f: { S: JSON.stringify(trimmed) },
        d: { BOOL: delivered },
        ...(claim ? { c: { S: JSON.stringify(claim) } } : {}),
        v: { N: String((previous?.version ?? 0) + 1) },
        ttl: { N: String(expiresAt) },
      },
      ConditionExpression: previous === undefined ? 'attribute_not_exists(pk)' : 'v = :v',
      ...(previous === undefined ? {} : { ExpressionAttributeValues: { ':v': { N: String(previous.version) } } }),
    });
  };

  /** Deliver the entry's finding if no other handler's claim holds; the claim is taken with the write. */
  const claimDelivery = async (pk: string, current: Entry, windowMs: number): Promise<Admission> => {
    const claim = current.claim;
    if (claim !== undefined && claim.token !== token && claim.until > clock.now()) {
      throw new DeliveryInProgress(`finding ${current.finding.id} is being delivered by another handler`);
    }
    await write(pk, current.finding, false, myClaim(), current, windowMs);
    return { kind: 'deliver', finding: current.finding };
  };

  const admit = async (finding: Finding, dedupKey: string, windowMs: number): Promise<Admission> => {
    const pk = itemKey('dedup', dedupKey);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const current = await read(pk);
      try {
        if (
          current === undefined ||
          Math.abs(Date.parse(finding.firstSeen) - Date.parse(current.finding.firstSeen)) >= windowMs
        ) {
          if (current?.finding.id === finding.id) {
            return current.delivered ? { kind: 'duplicate', finding } : await claimDelivery(pk, current, windowMs);
          }
          await write(pk, finding, false, myClaim(), current, windowMs);
          return { kind: 'deliver', finding };
        }
        if (current.finding.id === finding.id) {
          return current.delivered
            ? { kind: 'duplicate', finding: current.finding }
            : await claimDelivery(pk, current, windowMs);
        }
        const merged = foldInto(current.finding, finding);
        if (merged.count !== current.finding.count || merged.lastSeen !== current.finding.lastSeen) {
          await write(pk, merged, current.delivered, current.claim, current, windowMs);
        }
        return { kind: 'fold', finding: merged };
      } catch (err) {
        if (isDynamoDbError(err, 'ConditionalCheckFailedException')) continue;
        throw err;
      }
    }
    throw new Error(`ledger ${dedupKey}: still conflicting after ${MAX_ATTEMPTS} attempts`);
  };

  const delivered = async (finding: Finding, dedupKey: string): Promise<void> => {
    try {
      await client.call('UpdateItem', {
        TableName: tableName,
        Key: { pk: { S: itemKey('dedup', dedupKey) } },
        // Bumping the version makes a racing fold (read before this, written after) fail its condition and
        // re-read, instead of writing back `d = false` and letting a later admission page again.
        UpdateExpression: `SET d = :t, v = v + :one${finding.incidentId ? ', inc = :inc' : ''} REMOVE c`,
        ConditionExpression: 'id = :id',
        ExpressionAttributeValues: {
          ':t': { BOOL: true },
          ':id': { S: finding.id },
          ':one': { N: '1' },
          ...(finding.incidentId ? { ':inc': { S: finding.incidentId } } : {}),
        },
      });
    } catch (err) {
      // A newer finding took the key after the window expired: ours was delivered all the same.
      if (!isDynamoDbError(err, 'ConditionalCheckFailedException')) throw err;
    }
  };

  const release = async (finding: Finding, dedupKey: string): Promise<void> => {
    try {
      await client.call('UpdateItem', {
        TableName: tableName,
        Key: { pk: { S: itemKey('dedup', dedupKey) } },
        UpdateExpression: 'SET v = v + :one REMOVE c',
        // Only our own claim: a newer holder's claim must stand.
        ConditionExpression: 'id = :id AND contains(c, :token)',
        ExpressionAttributeValues: { ':id': { S: finding.id }, ':token': { S: token }, ':one': { N: '1' } },
      });
    } catch (err) {
      if (!isDynamoDbError(err, 'ConditionalCheckFailedException')) throw err;
    }
  };

  return { admit, delivered, release };
};
