import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Finding } from '../../../rules/core/finding.ts';
import { foldInto } from '../../../rules/core/finding.ts';
import type { Admission, FindingLedger } from '../../../rules/core/ports.ts';
import { itemKey } from './dynamodb-keys.ts';

const MAX_ATTEMPTS = 8;
/** Folded findings keep at most this many event ids; `count` stays exact. */
const MAX_EVENT_IDS = 500;

interface Entry {
  readonly finding: Finding;
  readonly delivered: boolean;
  readonly version: number;
}

/**
 * `FindingLedger` on DynamoDB, one item per dedup key: which finding paged inside the window, and whether
 * its delivery completed. Conditional writes make admission race-free across concurrent handlers.
 */
export const createDynamoLedger = (client: DynamoDBClient, tableName: string): FindingLedger => {
  const read = async (pk: string): Promise<Entry | undefined> => {
    const out = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk } }, ConsistentRead: true }),
    );
    const item = out.Item;
    if (item === undefined) return undefined;
    return {
      finding: JSON.parse(item.f?.S ?? '{}') as Finding,
      delivered: item.d?.BOOL === true,
      version: Number(item.v?.N ?? '0'),
    };
  };

  const write = async (
    pk: string,
    finding: Finding,
    delivered: boolean,
    previous: Entry | undefined,
    windowMs: number,
  ) => {
    const expiresAt = Math.ceil((Date.parse(finding.firstSeen) + windowMs) / 1000) + 7 * 86_400;
    const trimmed =
      finding.eventIds.length > MAX_EVENT_IDS
        ? { ...finding, eventIds: finding.eventIds.slice(-MAX_EVENT_IDS) }
        : finding;
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: pk },
          id: { S: finding.id },
          f: { S: JSON.stringify(trimmed) },
          d: { BOOL: delivered },
          v: { N: String((previous?.version ?? 0) + 1) },
          ttl: { N: String(expiresAt) },
        },
        ConditionExpression: previous === undefined ? 'attribute_not_exists(pk)' : 'v = :v',
        ...(previous === undefined ? {} : { ExpressionAttributeValues: { ':v': { N: String(previous.version) } } }),
      }),
    );
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
          if (current?.finding.id === finding.id)
            return current.delivered ? { kind: 'duplicate', finding } : { kind: 'deliver', finding };
          await write(pk, finding, false, current, windowMs);
          return { kind: 'deliver', finding };
        }
        if (current.finding.id === finding.id) {
          return current.delivered
            ? { kind: 'duplicate', finding: current.finding }
            : { kind: 'deliver', finding: current.finding };
        }
        const merged = foldInto(current.finding, finding);
        if (merged.count !== current.finding.count || merged.lastSeen !== current.finding.lastSeen) {
          await write(pk, merged, current.delivered, current, windowMs);
        }
        return { kind: 'fold', finding: merged };
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) continue;
        throw err;
      }
    }
    throw new Error(`ledger ${dedupKey}: still conflicting after ${MAX_ATTEMPTS} attempts`);
  };

  const delivered = async (finding: Finding, dedupKey: string): Promise<void> => {
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: { S: itemKey('dedup', dedupKey) } },
          UpdateExpression: 'SET d = :t',
          ConditionExpression: 'id = :id',
          ExpressionAttributeValues: { ':t': { BOOL: true }, ':id': { S: finding.id } },
        }),
      );
    } catch (err) {
      // A newer finding took the key after the window expired: ours was delivered all the same.
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  };

  return { admit, delivered };
};
