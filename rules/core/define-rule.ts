import type { CloudTrailRecord } from './cloudtrail.ts';
import { isSuccess, parametersNotRecorded, principalArn } from './cloudtrail.ts';
import type { AuditEvent, EventOf, EventSelector, Rule, RuleContext, RuleDefinition } from './types.ts';

const DEFAULT_DEDUP_SECONDS = 3600;
const DEFAULT_HISTORY_MAX = 200;

/** The payload a rule's own functions receive: the CloudTrail record, or the Config `detail`. */
export const payloadOf = (e: AuditEvent): unknown => (e.kind === 'cloudtrail' ? e.record : e.detail);

/** Repeats by the same principal in the same account fold together unless a rule says otherwise. */
const defaultDedupKey = (e: AuditEvent): string =>
  e.kind === 'cloudtrail' ? `${e.account}|${principalArn(e.record)}` : `${e.account}|${resourceOfConfig(e)}`;

/** Config `detail`s are checked only for what routing needs, so their other fields are read as unknown. */
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Typed on the Config kinds alone, so a new event kind is a compile error here rather than a silent 'unknown'. */
const resourceOfConfig = (e: Exclude<AuditEvent, { readonly kind: 'cloudtrail' }>): string => {
  if (e.kind === 'config-item-change') {
    const item = e.detail.configurationItem;
    return text(item.ARN) ?? text(item.resourceId) ?? 'unknown';
  }
  return `${e.detail.configRuleName}|${text(e.detail.resourceId) ?? 'unknown'}`;
};

/** The JSON type of a value a rule function returned, in an error's words. */
const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * Every rule function goes through these, so a rule that returns the wrong type (a number as a dedup key, an
 * ARN that is an object) throws here, with the rule and function named, inside the engine's guard, rather than
 * later in a renderer or a key builder. TypeScript checks the rules in this repository; this checks what
 * TypeScript cannot see: values a rule copies out of a record's open `requestParameters`.
 */
const checked = {
  string:
    (id: string, name: string, fn: (e: AuditEvent) => unknown) =>
    (e: AuditEvent): string => {
      const v = fn(e);
      if (typeof v !== 'string') throw new TypeError(`${id}: ${name} returned ${typeOf(v)}, not a string`);
      return v;
    },
  strings:
    <C extends unknown[]>(id: string, name: string, fn: (e: AuditEvent, ...ctx: C) => unknown) =>
    (e: AuditEvent, ...ctx: C): readonly string[] => {
      const v = fn(e, ...ctx);
      if (!Array.isArray(v)) throw new TypeError(`${id}: ${name} returned ${typeOf(v)}, not a list of strings`);
      for (const item of v)
        if (typeof item !== 'string') throw new TypeError(`${id}: ${name} returned a list holding ${typeOf(item)}`);
      return v;
    },
  boolean: (id: string, name: string, v: unknown): boolean => {
    if (typeof v !== 'boolean') throw new TypeError(`${id}: ${name} returned ${typeOf(v)}, not a boolean`);
    return v;
  },
};

const defaultResources = (e: AuditEvent): readonly string[] => {
  if (e.kind !== 'cloudtrail') return [resourceOfConfig(e)];
  const arns = (e.record.resources ?? []).flatMap((r) => (r.ARN ? [r.ARN] : []));
  return arns;
};

/**
 * Fail closed on missing parameters (issue 16 §10, DESIGN §3), for every rule at once. CloudTrail leaves out
 * `requestParameters` it cannot record (an oversized request is the classic way to make them vanish). When a
 * successful call arrives without them, the rule's predicate runs on a view of the record that notes whether
 * it read `requestParameters`; if it did and said no-match, its verdict rested on parameters nobody recorded,
 * so the rule matches (the dangerous case) and its finding says why. A predicate that decided without reading
 * them (the actor is approved, the event name alone matters) keeps its verdict: no rule can opt out by
 * forgetting a flag, and none pays for the check on records that carry parameters. Denied calls (`errorCode`)
 * keep their verdict: nothing changed.
 */
export const PARAMETERS_ABSENT_NOTE =
  'requestParameters absent from the CloudTrail record (CloudTrail omits parameters it cannot record, e.g. an oversized request)';

const parametersAbsent = (e: AuditEvent): e is Extract<AuditEvent, { kind: 'cloudtrail' }> =>
  e.kind === 'cloudtrail' && parametersNotRecorded(e.record) && isSuccess(e.record);

/** Run `fn` on a view of `record` that notes any read of `requestParameters`. */
const tracked = <R>(record: CloudTrailRecord, fn: (r: CloudTrailRecord) => R): { result: R; read: boolean } => {
  let read = false;
  const note = (p: string | symbol) => {
    if (p === 'requestParameters') read = true;
  };
  const view = new Proxy(record, {
    get: (t, p, r) => {
      note(p);
      return Reflect.get(t, p, r);
    },
    has: (t, p) => {
      note(p);
      return Reflect.has(t, p);
    },
    getOwnPropertyDescriptor: (t, p) => {
      note(p);
      return Reflect.getOwnPropertyDescriptor(t, p);
    },
  });
  const result = fn(view);
  return { result, read };
};

/**
 * Turn a typed rule definition into a catalogue entry. The selector decides the payload type the rule's
 * functions see; the engine only hands a rule events its selector admits, so the cast below is sound.
 */
export const defineRule = <const S extends EventSelector>(def: RuleDefinition<S>): Rule => {
  const lift =
    <R>(fn: (e: EventOf<S>) => R) =>
    (e: AuditEvent): R =>
      fn(payloadOf(e) as EventOf<S>);
  const { threshold, dedup, history, id } = def;
  const key = (name: string, fn: (e: EventOf<S>) => string) => checked.string(id, name, lift(fn));
  const predicate = (e: AuditEvent, ctx: RuleContext): boolean =>
    checked.boolean(id, 'match', def.match(payloadOf(e) as EventOf<S>, ctx));
  /** For a successful call without parameters: the predicate's own verdict, and whether it read them. */
  const judged = (e: AuditEvent, ctx: RuleContext) =>
    parametersAbsent(e)
      ? tracked(e.record, (r) => checked.boolean(id, 'match', def.match(r as EventOf<S>, ctx)))
      : undefined;
  const ownDetails = (e: AuditEvent, ctx: RuleContext): readonly string[] =>
    def.explain?.(payloadOf(e) as EventOf<S>, ctx) ?? [];
  const resources = checked.strings(id, 'resources', def.resources ? lift(def.resources) : defaultResources);
  const dedupKey = checked.string(id, 'dedup.key', dedup ? lift(dedup.key) : defaultDedupKey);
  return {
    id,
    title: def.title,
    severity: def.severity,
    escalation: def.escalation ?? {},
    controls: def.controls,
    mitre: def.mitre,
    on: def.on,
    threshold: threshold
      ? {
          count: threshold.count,
          windowSeconds: threshold.windowSeconds,
          byCriticality: threshold.byCriticality,
          groupBy: key('threshold.groupBy', threshold.groupBy),
          distinct: threshold.distinct ? key('threshold.distinct', threshold.distinct) : undefined,
        }
      : null,
    history: history
      ? {
          key: key('history.key', history.key),
          remember: (e, intel) => {
            const v = history.remember(payloadOf(e) as EventOf<S>, intel);
            if (v !== undefined && typeof v !== 'string')
              throw new TypeError(`${id}: history.remember returned ${typeOf(v)}, not a string`);
            return v;
          },
          spec: {
            retainMs: history.retainSeconds * 1000,
            distinctValues: history.distinctValues ?? false,
            max: history.max ?? DEFAULT_HISTORY_MAX,
          },
          onlyNewValues: history.onlyNewValues === true,
        }
      : null,
    dedup: {
      key: dedupKey,
      windowSeconds: dedup?.windowSeconds ?? DEFAULT_DEDUP_SECONDS,
    },
    match: (e, ctx) => {
      const verdict = judged(e, ctx);
      return verdict === undefined ? predicate(e, ctx) : verdict.result || verdict.read;
    },
    resources,
    explain: checked.strings(id, 'explain', (e: AuditEvent, ctx: RuleContext) => {
      const verdict = judged(e, ctx);
      if (verdict === undefined || !parametersAbsent(e)) return ownDetails(e, ctx);
      // What the finding cannot say because the parameters are missing: the rule's verdict, or what it names.
      let named: boolean;
      try {
        named = tracked(e.record, (r) => {
          const view = { ...e, record: r };
          resources(view);
          dedupKey(view);
        }).read;
      } catch {
        named = true; // it needed something the record lacks; buildFinding reports its own failures
      }
      let own: readonly string[];
      let explained: boolean;
      try {
        const out = tracked(e.record, (r) => ownDetails({ ...e, record: r }, ctx));
        own = out.result;
        explained = out.read;
      } catch (err) {
        own = [`(explanation failed: ${err instanceof Error ? err.message : String(err)})`];
        explained = true;
      }
      const note =
        verdict.read && !verdict.result
          ? [`${PARAMETERS_ABSENT_NOTE}: the rule could not check them, so it treats the call as the dangerous case.`]
          : verdict.read || named || explained
            ? [`${PARAMETERS_ABSENT_NOTE}: what the call changed is not known.`]
            : [];
      return [...note, ...own];
    }),
    owner: def.owner ?? 'security-engineering',
    ...(def.intel === undefined ? {} : { intel: def.intel }),
  };
};

/** Convenience for CloudTrail rules that group by the acting principal. */
export const byPrincipal = (e: CloudTrailRecord): string => principalArn(e);
