import { readResponseEvidence } from '../../rules/core/response.ts';
import type { TriageAction, TriageDecision } from '../../rules/core/triage.ts';
import { checkTransition, triageBody, triageDecision, triageKey } from '../../rules/core/triage.ts';
import { parseOptions } from '../args.ts';
import type { SourceDeps } from '../evidence-source.ts';
import { openSource } from '../evidence-source.ts';
import type { Io } from '../io.ts';
import { EXIT, errorLine, message } from '../io.ts';

/** A decision may be dated this far ahead of the local clock (clock skew), no further. */
const MAX_FUTURE_MS = 5 * 60_000;

const TRIAGE_OPTIONS = {
  ack: { type: 'boolean' },
  resolve: { type: 'boolean' },
  missed: { type: 'string' },
  verdict: { type: 'string' },
  note: { type: 'string' },
  by: { type: 'string' },
  at: { type: 'string' },
  rule: { type: 'string' },
  source: { type: 'string' },
  'endpoint-url': { type: 'string' },
} as const;

export interface TriageDeps extends SourceDeps {
  /** Who decided when `--by` is not given (default: $USER). */
  readonly user?: () => string | undefined;
}

/** `trailwarden triage …`: 0 recorded (or already recorded), 1 refused by the state machine, 2 usage errors. */
export const triageCommand = async (
  args: readonly string[],
  io: Io,
  usage: () => void,
  deps: TriageDeps = {},
): Promise<number> => {
  const fail = (text: string): number => {
    errorLine(io, text);
    usage();
    return EXIT.usage;
  };
  const parsed = parseOptions(args, TRIAGE_OPTIONS);
  if (!parsed.ok) return fail(parsed.error);
  const { values, positionals } = parsed;
  const chosen = (['ack', 'resolve', 'missed'] as const).filter((a) => values[a] !== undefined && values[a] !== false);
  if (chosen.length !== 1) return fail('triage needs exactly one of --ack, --resolve or --missed TEXT');
  const action: TriageAction = chosen[0] ?? 'ack';
  if (values.source === undefined) return fail('triage needs --source DIR|s3://BUCKET/PREFIX');
  if (action === 'missed' ? positionals.length !== 0 : positionals.length !== 1) {
    return fail(action === 'missed' ? '--missed takes no ID' : 'triage needs exactly one incident or finding ID');
  }
  if (action === 'missed' && values.at === undefined) return fail('--missed needs --at ISO-TIME (when it happened)');
  const now = (deps.now ?? Date.now)();
  const by = values.by ?? (deps.user ?? (() => process.env.USER))() ?? '';
  const result = triageDecision({
    action,
    ...(action === 'missed' ? {} : { target: positionals[0] ?? '' }),
    ...(values.verdict === undefined ? {} : { verdict: values.verdict }),
    note: action === 'missed' ? values.missed : values.note,
    by,
    at: values.at ?? new Date(now).toISOString(),
    source: 'cli',
    ...(values.rule === undefined ? {} : { ruleId: values.rule }),
  });
  if (!result.ok) {
    for (const e of result.errors) errorLine(io, e);
    usage();
    return EXIT.usage;
  }
  const decision = result.decision;
  if (Date.parse(decision.at) > now + MAX_FUTURE_MS) return fail(`--at ${decision.at} is in the future`);

  const opened = await openSource(values.source, io.cwd ?? process.cwd(), {
    ...deps,
    ...(io.env === undefined ? {} : { env: io.env }),
    ...(values['endpoint-url'] === undefined ? {} : { endpointUrl: values['endpoint-url'] }),
  });
  if (!opened.ok) {
    errorLine(io, opened.error);
    return EXIT.usage;
  }
  const { source } = opened;
  let existing: TriageDecision[];
  try {
    const evidence = readResponseEvidence(await source.read());
    if (action === 'missed') existing = evidence.decisions.filter((d) => d.id === decision.id);
    else {
      const incident = evidence.incidents.find((i) => i.id === decision.target);
      const finding = evidence.findings.find((f) => f.id === decision.target);
      if (incident === undefined && finding === undefined) {
        errorLine(io, `${decision.target}: no incident or finding with this id in ${source.label}`);
        return EXIT.usage;
      }
      existing = evidence.decisions.filter((d) => d.target === decision.target);
      const check = checkTransition(existing, decision, incident?.openedAt ?? finding?.firstSeen);
      if (check.kind === 'refused') {
        errorLine(io, `refused: ${check.reason}`);
        return EXIT.findings;
      }
    }
  } catch (err) {
    errorLine(io, `${source.label}: ${message(err)}`);
    return EXIT.usage;
  }
  if (existing.some((d) => d.id === decision.id)) {
    io.stdout.write(`already recorded: ${decision.id}\n`);
    return EXIT.ok;
  }
  const key = triageKey(decision, new Date(now).toISOString());
  try {
    const put = await source.put(key, triageBody(decision));
    if (put === 'exists') {
      io.stdout.write(`already recorded: ${key}\n`);
      return EXIT.ok;
    }
    const digest = await source.seal();
    const what =
      decision.action === 'missed'
        ? `missed detection for ${decision.ruleId ?? ''}`
        : `${decision.action === 'ack' ? 'acknowledged' : `resolved (${decision.verdict ?? ''})`} ${decision.target}`;
    io.stdout.write(
      `recorded: ${what} by ${decision.by} at ${decision.at}\n  ${source.label.replace(/\/$/, '')}/${key}\n`,
    );
    if (digest !== undefined) io.stdout.write(`  chained in ${digest}\n`);
    return EXIT.ok;
  } catch (err) {
    errorLine(io, `cannot write ${key} to ${source.label}: ${message(err)}`);
    return EXIT.usage;
  }
};
