import { randomBytes, randomUUID } from 'node:crypto';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { DrillPlan, DrillSkip } from '../../rules/core/drill.ts';
import { DRILL_SEVERITIES, planDrill } from '../../rules/core/drill.ts';
import type { ObservationDrillPlan } from '../../rules/core/observation-drill.ts';
import { OBSERVATION_DRILLS, planElevatedDrill } from '../../rules/core/observation-drill.ts';
import type { Rule, RuleDocs, Severity } from '../../rules/core/types.ts';
import { SEVERITIES } from '../../rules/core/types.ts';
import { parseOptions } from '../args.ts';
import type { DrillResult } from '../drill/local.ts';
import type { Io } from '../io.ts';
import { EXIT, errorLine, message } from '../io.ts';

export interface DrillDeps {
  /** The rules with their docs (default: the catalogue). */
  readonly rules?: () => Promise<readonly (readonly [Rule, RuleDocs])[]>;
  /** `--local`: a running DynamoDB Local to use instead of starting one (tests pass `inject('dynamoEndpoint')`). */
  readonly dynamoEndpoint?: string;
  /** `--invoke`: the Lambda client (default: the SDK's default credentials and region). */
  readonly lambdaClient?: () => Promise<LambdaClient>;
  /** `--invoke`: reads the drill key from the secret (default: Secrets Manager with the caller's credentials). */
  readonly readDrillKey?: (secretId: string) => Promise<string>;
  readonly now?: () => number;
  /**
   * Observation rules with a drill (rules/core/observation-drill.ts), by rule id and severity (default: the
   * elevated-access check). Tests that drill only event rules pass `[]`.
   */
  readonly observations?: readonly { readonly ruleId: string; readonly severity: Severity }[];
}

const defaultReadDrillKey = async (secretId: string): Promise<string> => {
  const [{ SecretsManagerClient }, { createSecretsManagerDrillKey }] = await Promise.all([
    import('@aws-sdk/client-secrets-manager'),
    import('../../functions/shared/adapters/secrets-drill-key.ts'),
  ]);
  const client = new SecretsManagerClient({});
  try {
    return await createSecretsManagerDrillKey(client, secretId)();
  } finally {
    client.destroy();
  }
};

const defaultRules = async () => {
  const [{ RULES }, { withDocs }] = await Promise.all([import('../../rules/index.ts'), import('../../rules/docs.ts')]);
  return withDocs(RULES);
};

const defaultLambda = async (): Promise<LambdaClient> => {
  const { LambdaClient } = await import('@aws-sdk/client-lambda');
  return new LambdaClient({});
};

const pad = (s: string, n: number) => s.padEnd(n);

const renderRow = (result: string, ruleId: string, severity: string, events: string, time: string, detail: string) =>
  `${pad(result, 6)} ${pad(ruleId, 40)} ${pad(severity, 8)} ${pad(events, 6)} ${pad(time, 8)} ${detail}`.trimEnd();

/**
 * `trailwarden drill [--local | --invoke FUNCTION_NAME] [--rule ID…] [--severity critical,high]`: send each
 * critical and high rule's drill events (see rules/core/drill.ts) through the real evaluate handler on local
 * stand-ins (`--local`) or the deployed function (`--invoke`), and print pass/fail per rule. Exit 1 on any
 * failure, 2 on usage errors. Rules that cannot be drilled from their cases are listed as SKIP, not failed.
 */
export const drillCommand = async (
  args: readonly string[],
  io: Io,
  usage: () => void,
  deps: DrillDeps = {},
): Promise<number> => {
  const parsed = parseOptions(args, {
    local: { type: 'boolean' },
    invoke: { type: 'string' },
    run: { type: 'string' },
    'key-secret': { type: 'string' },
    rule: { type: 'string', multiple: true },
    severity: { type: 'string' },
    'elevated-function': { type: 'string' },
  });
  if (!parsed.ok) {
    errorLine(io, parsed.error);
    usage();
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.run !== undefined) return runCommand(values, positionals, io, usage, deps);
  if (positionals.length > 0 || (values.local === true) === (values.invoke !== undefined)) {
    errorLine(io, 'drill needs exactly one of --local or --invoke FUNCTION_NAME');
    usage();
    return EXIT.usage;
  }
  if (values.invoke !== undefined && (values['key-secret'] ?? '') === '') {
    errorLine(
      io,
      'drill --invoke needs --key-secret SECRET (the drill key secret: the stack output DrillKeySecretArn)',
    );
    usage();
    return EXIT.usage;
  }
  if (values['elevated-function'] !== undefined && values.invoke === undefined) {
    errorLine(io, '--elevated-function is for --invoke; --local runs the elevated-access check here');
    usage();
    return EXIT.usage;
  }
  if (values.local === true && values['key-secret'] !== undefined) {
    errorLine(io, '--key-secret is for --invoke; --local makes a key for the run');
    usage();
    return EXIT.usage;
  }
  let severities: readonly Severity[] = DRILL_SEVERITIES;
  if (values.severity !== undefined) {
    const list = values.severity.split(',').map((s) => s.trim());
    const bad = list.filter((s) => !(SEVERITIES as readonly string[]).includes(s));
    if (bad.length > 0 || list.length === 0) {
      errorLine(io, `unknown severity: ${bad.join(', ')} (use ${SEVERITIES.join(', ')})`);
      return EXIT.usage;
    }
    severities = list as Severity[];
  }
  const now = deps.now ?? Date.now;
  let rules: readonly (readonly [Rule, RuleDocs])[];
  try {
    rules = await (deps.rules ?? defaultRules)();
  } catch (err) {
    errorLine(io, `could not load the rules: ${message(err)}`);
    return EXIT.usage;
  }
  const wanted = (values.rule ?? []).flatMap((r) => r.split(',')).filter((r) => r !== '');
  const observationRules = deps.observations ?? OBSERVATION_DRILLS;
  const unknown = wanted.filter(
    (id) => !rules.some(([rule]) => rule.id === id) && !observationRules.some((o) => o.ruleId === id),
  );
  if (unknown.length > 0) {
    errorLine(io, `unknown rule: ${unknown.join(', ')}`);
    return EXIT.usage;
  }
  const chosen = wanted.length > 0 ? rules.filter(([rule]) => wanted.includes(rule.id)) : rules;
  const observations = observationRules.filter(
    (o) => (wanted.length === 0 || wanted.includes(o.ruleId)) && severities.includes(o.severity),
  );
  // --local: a key made for this run, known to this process only. --invoke: the deployed function's key.
  let key: string;
  if (values.local === true) key = randomBytes(32).toString('base64url');
  else {
    const secretId = values['key-secret'] ?? '';
    try {
      key = await (deps.readDrillKey ?? defaultReadDrillKey)(secretId);
    } catch (err) {
      errorLine(io, `could not read the drill key from ${secretId}: ${message(err)}`);
      return EXIT.usage;
    }
  }
  const auth = { key, run: `run-${randomUUID()}` };
  // --invoke drills the deployed function: a case's config reaches it only as the signed overlay, and a case whose
  // config cannot travel is a SKIP there (deployed), as in the scheduled drill.
  const plans: (DrillPlan | DrillSkip)[] = planDrill(chosen, {
    severities,
    nowMs: now(),
    auth,
    ...(values.invoke === undefined ? {} : { deployed: true }),
  });
  // Observation rules: signed drill observations (the only one today is the elevated-access check).
  const observationPlans = observations.map(() => planElevatedDrill({ nowMs: now(), auth }));
  if (!plans.some((p) => p.kind === 'plan') && observationPlans.length === 0) {
    errorLine(io, `no rule to drill at severity ${severities.join(', ')}`);
    return EXIT.usage;
  }

  io.stdout.write(`${renderRow('RESULT', 'RULE', 'SEVERITY', 'EVENTS', 'TIME', 'DETAIL')}\n`);
  const results: DrillResult[] = [];
  const report = (plan: DrillPlan, r: DrillResult) => {
    results.push(r);
    io.stdout.write(
      `${renderRow(r.ok ? 'PASS' : 'FAIL', r.ruleId, plan.severity, String(plan.bodies.length), `${r.ms}ms`, r.detail)}\n`,
    );
  };
  const skip = (p: DrillSkip) => io.stdout.write(`${renderRow('SKIP', p.rule.id, '-', '-', '-', p.reason)}\n`);
  let skipped = plans.filter((p) => p.kind === 'skip').length;
  const reportObservation = (plan: ObservationDrillPlan, r: DrillResult) => {
    results.push(r);
    io.stdout.write(
      `${renderRow(r.ok ? 'PASS' : 'FAIL', r.ruleId, plan.severity, String(plan.steps.length), `${r.ms}ms`, r.detail)}\n`,
    );
  };

  if (values.local === true) {
    const { runLocal, startLocalEnv } = await import('../drill/local.ts');
    let env: Awaited<ReturnType<typeof startLocalEnv>>;
    try {
      env = await startLocalEnv(deps.dynamoEndpoint);
    } catch (err) {
      errorLine(io, `could not start DynamoDB Local and s3rver: ${message(err)}`);
      return EXIT.findings;
    }
    try {
      for (const p of plans) {
        if (p.kind === 'skip') skip(p);
        else report(p, await runLocal(p, env, now(), key));
      }
      if (observationPlans.length > 0) {
        const { runElevatedLocal } = await import('../drill/elevated.ts');
        for (const p of observationPlans) reportObservation(p, await runElevatedLocal(p, env, now(), key));
      }
    } finally {
      await env.stop();
    }
  } else {
    const functionName = values.invoke ?? '';
    const { runInvoke } = await import('../drill/invoke.ts');
    const client = await (deps.lambdaClient ?? defaultLambda)();
    for (const p of plans) {
      if (p.kind === 'skip') skip(p);
      else report(p, await runInvoke(p, client, functionName, now()));
    }
    const elevatedFunction = values['elevated-function'];
    if (observationPlans.length > 0 && elevatedFunction === undefined) {
      for (const p of observationPlans) {
        skipped++;
        io.stdout.write(
          `${renderRow('SKIP', p.ruleId, '-', '-', '-', 'an observation rule: add --elevated-function (stack output ElevatedAccessFunctionName)')}\n`,
        );
      }
    } else if (observationPlans.length > 0) {
      const { runElevatedInvoke } = await import('../drill/elevated.ts');
      for (const p of observationPlans)
        reportObservation(p, await runElevatedInvoke(p, client, elevatedFunction ?? ''));
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  io.stdout.write(
    `${failed === 0 ? 'drill passed' : 'drill FAILED'}: ${results.length - failed} of ${results.length} rules passed, ${skipped} skipped\n`,
  );
  return failed === 0 ? EXIT.ok : EXIT.findings;
};

/**
 * `trailwarden drill --run DRILL_FUNCTION [--rule ID…]`: the scheduled drill, on demand, through the deployed drill
 * function (the stack output DrillFunctionName); prints the record it archived. Exit 0 passed, 1 failed.
 */
const runCommand = async (
  values: {
    readonly run?: string;
    readonly local?: boolean;
    readonly invoke?: string;
    readonly 'key-secret'?: string;
    readonly rule?: string[];
    readonly severity?: string;
    readonly 'elevated-function'?: string;
  },
  positionals: readonly string[],
  io: Io,
  usage: () => void,
  deps: DrillDeps,
): Promise<number> => {
  const clash = [
    values.local === true ? '--local' : '',
    values.invoke !== undefined ? '--invoke' : '',
    values['key-secret'] !== undefined ? '--key-secret' : '',
    values.severity !== undefined ? '--severity' : '',
    values['elevated-function'] !== undefined ? '--elevated-function' : '',
  ].filter((f) => f !== '');
  if (positionals.length > 0 || clash.length > 0 || (values.run ?? '') === '') {
    errorLine(
      io,
      clash.length > 0
        ? `--run takes only --rule (the drill function signs and chooses by its config), not ${clash.join(', ')}`
        : 'drill --run needs the drill function name (stack output DrillFunctionName)',
    );
    usage();
    return EXIT.usage;
  }
  const rules = (values.rule ?? []).flatMap((r) => r.split(',')).filter((r) => r !== '');
  const { runDrillFunction } = await import('../drill/run.ts');
  const { renderDrillTable } = await import('./drills.ts');
  let reply: Awaited<ReturnType<typeof runDrillFunction>>;
  try {
    reply = await runDrillFunction(await (deps.lambdaClient ?? defaultLambda)(), values.run ?? '', rules);
  } catch (err) {
    errorLine(io, `drill --run ${values.run}: ${message(err)}`);
    return EXIT.findings;
  }
  if (!reply.ok) {
    errorLine(io, `drill --run ${values.run}: ${reply.error}`);
    return EXIT.findings;
  }
  io.stdout.write(renderDrillTable([{ key: reply.key, record: reply.record }], true));
  io.stdout.write(`drill ${reply.record.status === 'passed' ? 'passed' : 'FAILED'}: recorded as ${reply.key}\n`);
  return reply.record.status === 'passed' ? EXIT.ok : EXIT.findings;
};
