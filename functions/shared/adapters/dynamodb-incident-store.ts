import type { IncidentAssignment, IncidentScopeState } from '../../../rules/core/incident.ts';
import { byScope, correlate, EMPTY_SCOPE, scopeExpiresAt } from '../../../rules/core/incident.ts';
import type { Clock, IncidentResult, IncidentStore } from '../../../rules/core/ports.ts';
import { updateJsonItem } from './dynamodb-json-item.ts';
import { itemKey, mapLimit } from './dynamodb-keys.ts';
import type { DynamoDb } from './dynamodb-port.ts';

/**
 * `IncidentStore` on DynamoDB: one item per scope (drill flag, account, actor) holding its recent incidents, read
 * once and written at most once per batch with an optimistic version. Two handlers placing findings of one actor
 * at once: the second write fails its condition, re-reads the incident the first opened and joins it, so the
 * actor has one incident and one page. A redelivered batch finds its findings placed and writes nothing.
 */
export const createDynamoIncidentStore = (
  client: DynamoDb,
  tableName: string,
  options: { readonly concurrency?: number; readonly clock?: Clock } = {},
): IncidentStore => {
  const clock = options.clock ?? { now: () => Date.now() };
  return {
    correlate: async (findings, config) => {
      const scopes = [...byScope(findings)];
      const outcomes = await mapLimit(scopes, options.concurrency ?? 16, async ([scope, group]) => {
        const outcome = await updateJsonItem<IncidentScopeState, readonly IncidentAssignment[]>({
          client,
          tableName,
          pk: itemKey('incident', scope),
          empty: EMPTY_SCOPE,
          apply: (current) => {
            const out = correlate(current, group, config);
            return { next: out.state, result: out.assignments, unchanged: !out.changed };
          },
          expiresAt: (state) => scopeExpiresAt(state, config, clock.now()),
        });
        return outcome.ok
          ? outcome.result.map((a): IncidentResult => ({ ok: true, ...a }))
          : group.map((f): IncidentResult => ({ ok: false, findingId: f.id, error: outcome.error }));
      });
      return outcomes.flat();
    },
  };
};
