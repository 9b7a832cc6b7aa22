import type { InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { DrillDeps } from '../../cli/commands/drill.ts';
import { drillCommand } from '../../cli/commands/drill.ts';
import type { DrillPlan } from '../../rules/core/drill.ts';
import { planRule } from '../../rules/core/drill.ts';
import { verifyDrillClaim } from '../../rules/core/drill-auth.ts';
import { buildDrillRun, drillRunKey } from '../../rules/core/drill-run.ts';
import { toAuditEvent } from '../../rules/core/events.ts';
import { observationDrillInput, verifyObservationDrill } from '../../rules/core/observation-drill.ts';
import type { Rule, RuleDocs } from '../../rules/core/types.ts';
import { docsOf } from '../../rules/docs.ts';
import { RULES } from '../../rules/index.ts';
import { ioFor } from './helpers.ts';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const KEY = 'k'.repeat(43);
const AUTH = { key: KEY, run: 'run-test' };
const ruleById = (id: string): Rule => {
  const rule = RULES.find((r) => r.id === id);
  if (rule === undefined) throw new Error(`no rule ${id}`);
  return rule;
};
const planOf = async (id: string): Promise<DrillPlan> => {
  const rule = ruleById(id);
  const plan = planRule(rule, await docsOf(rule), { nowMs: NOW, auth: AUTH });
  if (plan?.kind !== 'plan') throw new Error(`${id} not planned: ${JSON.stringify(plan)}`);
  return plan;
};
const envelopes = (plan: DrillPlan) => plan.bodies.map((b) => JSON.parse(b) as Record<string, unknown>);
const withDocsOf = (ids: readonly string[]) => async () =>
  Promise.all(ids.map(async (id) => [ruleById(id), await docsOf(ruleById(id))] as const));

const run = async (args: readonly string[], deps: DrillDeps) => {
  const { io, stdout, stderr } = ioFor();
  const code = await drillCommand(args, io, () => {}, { now: () => NOW, ...deps });
  return { code, stdout: stdout(), stderr: stderr() };
};

describe('drill planning', () => {
  it.each([
    // rule, events expected (threshold count at the case's criticality, or 1)
    ['cloudtrail.logging-stopped', 1],
    ['signin.console-login-failures', 5],
    ['signin.password-spraying', 5],
    ['signin.concurrent-sessions', 2],
  ] as const)('%s gets %i drill events inside its window', async (id, count) => {
    const plan = await planOf(id);
    expect(plan.bodies).toHaveLength(count);
    const evs = envelopes(plan);
    expect(evs.every((e) => (e.drill as { run?: unknown }).run === 'run-test')).toBe(true);
    expect(new Set(plan.eventIds).size).toBe(count);
    const parsed = evs.map((e) => toAuditEvent(e));
    const times = parsed.map((p) => (p.ok ? p.event.timeMs : Number.NaN));
    // Signed: each verifies with the key until it expires, and parsing alone never makes a drill.
    for (const p of parsed) {
      if (!p.ok || p.event.drillClaim === undefined) throw new Error('drill event without a claim');
      expect(p.event.drill).toBeUndefined();
      expect(verifyDrillClaim(p.event.drillClaim, p.event, KEY, NOW)).toEqual({ ok: true });
      expect(verifyDrillClaim(p.event.drillClaim, p.event, KEY, NOW + 16 * 60_000).ok).toBe(false);
    }
    expect(parsed.map((p) => (p.ok ? p.event.id : ''))).toEqual(plan.eventIds);
    const window = plan.rule.threshold
      ? (plan.rule.threshold.byCriticality?.[plan.criticality] ?? plan.rule.threshold).windowSeconds * 1000
      : 1;
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(window);
    expect(Math.max(...times)).toBeLessThanOrEqual(NOW);
  });

  it.each(['signin.new-country', 'iam.service-key-new-network'])(
    '%s: the preparation is sent first, one a day on the 14 days before the event, all signed',
    async (id) => {
      const plan = await planOf(id);
      expect(plan.bodies).toHaveLength(15);
      const parsed = envelopes(plan).map((e) => toAuditEvent(e));
      const times = parsed.map((p) => (p.ok ? p.event.timeMs : Number.NaN));
      const last = times[times.length - 1] ?? Number.NaN;
      expect(last).toBeLessThanOrEqual(NOW);
      expect(times.map((t) => (last - t) / 86_400_000)).toEqual([14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
      for (const p of parsed) {
        if (!p.ok || p.event.drillClaim === undefined) throw new Error('drill event without a claim');
        expect(verifyDrillClaim(p.event.drillClaim, p.event, KEY, NOW)).toEqual({ ok: true });
      }
      expect(parsed.map((p) => (p.ok ? p.event.id : ''))).toEqual(plan.eventIds);
      expect(new Set(plan.eventIds).size).toBe(15);
      // The drill function holds the last event back (SQS may reorder): the memory must be written first.
      expect(plan.sequence).toBe(true);
      expect((await planOf('cloudtrail.logging-stopped')).sequence).toBeUndefined();
    },
  );

  it('a case that needs history and says nothing of how to build it is still skipped, with the reason', async () => {
    const rule = ruleById('signin.new-country');
    const real = await docsOf(rule);
    const withoutPrepare: RuleDocs = { ...real, cases: () => real.cases().filter((c) => c.prepare === undefined) };
    const plan = planRule(rule, withoutPrepare, { nowMs: NOW, auth: AUTH });
    expect(plan).toMatchObject({ kind: 'skip', reason: expect.stringContaining('before / prepare') });
  });

  it('a rule that pages only when it escalates is drilled at the criticality that escalates it', async () => {
    const plan = await planOf('signin.new-source');
    expect(plan.rule.severity).toBe('medium');
    expect([plan.criticality, plan.severity, plan.config.criticality.default]).toEqual(['high', 'high', 'high']);
    // In the deployed drill too: the criticality travels as the drill's signed overlay.
    const rule = ruleById('signin.new-source');
    const deployed = planRule(rule, await docsOf(rule), { nowMs: NOW, auth: AUTH, deployed: true });
    expect(deployed).toMatchObject({ kind: 'plan', severity: 'high', overlay: { criticality: 'high' } });
  });

  it('fresh ids on every plan', async () => {
    const [a, b] = [await planOf('signin.console-login-failures'), await planOf('signin.console-login-failures')];
    expect(a.eventIds.filter((id) => b.eventIds.includes(id))).toEqual([]);
  });

  it('severity selection: medium rules only when asked; behaviour rules send the events that build their history', async () => {
    const all = await Promise.all(RULES.map(async (r) => [r, await docsOf(r)] as const));
    const plans = all.map(([r, d]) => planRule(r, d, { nowMs: NOW, auth: AUTH }));
    const planned = plans.flatMap((p) => (p?.kind === 'plan' ? [p] : []));
    expect(planned.every((p) => p.severity === 'critical' || p.severity === 'high')).toBe(true);
    expect(planned.some((p) => p.severity === 'critical')).toBe(true);
    const sequence = plans.find((p) => p?.rule.id === 'signin.success-after-failures');
    expect(sequence?.kind).toBe('plan');
    if (sequence?.kind === 'plan') expect(sequence.bodies).toHaveLength(4); // 3 failures, then the success
    const medium = all.flatMap(([r, d]) => {
      const p = planRule(r, d, { nowMs: NOW, severities: ['medium'], auth: AUTH });
      return p?.kind === 'plan' ? [p] : [];
    });
    expect(medium.every((p) => p.severity === 'medium')).toBe(true);
  });

  it('a case criticality and config travel with the plan', async () => {
    const rule = ruleById('signin.console-login-failures');
    const docs: RuleDocs = {
      description: '',
      runbook: [],
      rationale: '',
      falsePositives: [],
      cases: () => [{ ...(docs0.cases().find((c) => c.expect === 'match') ?? fail()), criticality: 'high' }],
    };
    const docs0 = await docsOf(rule);
    const plan = planRule(rule, docs, { nowMs: NOW, auth: AUTH });
    expect(plan?.kind).toBe('plan');
    if (plan?.kind !== 'plan') return;
    expect(plan.criticality).toBe('high');
    expect(plan.config.criticality.default).toBe('high');
    expect(plan.bodies).toHaveLength(rule.threshold?.byCriticality?.high?.count ?? 0);
  });
});

const fail = (): never => {
  throw new Error('no positive case');
};

describe('drill --local (real handler, DynamoDB Local, s3rver)', () => {
  it('passes for a single-event, a threshold and a behaviour rule, with a table and timings', async () => {
    const ids = ['cloudtrail.logging-stopped', 'signin.console-login-failures', 'signin.success-after-failures'];
    const out = await run(['--local', '--rule', ids.join(',')], {
      rules: withDocsOf(ids),
      dynamoEndpoint: inject('dynamoEndpoint'),
    });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^PASS\s+cloudtrail\.logging-stopped\s+critical\s+1\s+\d+ms\s+paged and archived/m);
    expect(out.stdout).toMatch(/^PASS\s+signin\.console-login-failures\s+high\s+5\s+\d+ms/m);
    expect(out.stdout).toMatch(/^PASS\s+signin\.success-after-failures\s+high\s+4\s+\d+ms/m);
    expect(out.stdout).toContain('drill passed: 3 of 3 rules passed');
  }, 60_000);

  it('history drills: 14 backdated days of preparation, then the event, for the two learning rules', async () => {
    const ids = ['signin.new-country', 'iam.service-key-new-network'];
    const out = await run(['--local', '--rule', ids.join(',')], {
      rules: withDocsOf(ids),
      dynamoEndpoint: inject('dynamoEndpoint'),
    });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^PASS\s+signin\.new-country\s+high\s+15\s+\d+ms\s+paged and archived/m);
    expect(out.stdout).toMatch(/^PASS\s+iam\.service-key-new-network\s+high\s+15\s+\d+ms\s+paged and archived/m);
    expect(out.stdout).toContain('drill passed: 2 of 2 rules passed, 0 skipped');
  }, 120_000);

  it('a history drill whose preparation is one day short of the learning period FAILs (the memory is what fires it)', async () => {
    const rule = ruleById('signin.new-country');
    const real = await docsOf(rule);
    const drillCase = real.cases().find((c) => c.prepare !== undefined && c.expect === 'match') ?? fail();
    const short: RuleDocs = { ...real, cases: () => [{ ...drillCase, prepare: drillCase.prepare?.slice(1) }] };
    const out = await run(['--local'], {
      rules: async () => [[rule, short]],
      dynamoEndpoint: inject('dynamoEndpoint'),
    });
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/^FAIL\s+signin\.new-country\s+high\s+14\s+\d+ms\s+no finding paged/m);
  }, 120_000);

  it('the observation rule iam.temporary-access-not-revoked: a signed drill observation fires, archives and resolves', async () => {
    const out = await run(['--local', '--rule', 'iam.temporary-access-not-revoked'], {
      rules: withDocsOf([]),
      dynamoEndpoint: inject('dynamoEndpoint'),
    });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(
      /^PASS\s+iam\.temporary-access-not-revoked\s+high\s+2\s+\d+ms\s+paged, archived and resolved [0-9a-f]{32}$/m,
    );
    expect(out.stdout).toContain('drill passed: 1 of 1 rules passed, 0 skipped');
  }, 60_000);

  it('a broken rule (never matches in the handler) is FAIL with exit 1', async () => {
    const real = ruleById('cloudtrail.logging-stopped');
    let calls = 0;
    // Matches while planning, then breaks: the handler never produces a finding.
    const broken: Rule = { ...real, id: 'test.broken', match: (e, ctx) => calls++ < 1 && real.match(e, ctx) };
    const out = await run(['--local'], {
      rules: async () => [[broken, await docsOf(real)]],
      dynamoEndpoint: inject('dynamoEndpoint'),
      observations: [],
    });
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/^FAIL\s+test\.broken\s+critical\s+1\s+\d+ms\s+no finding paged/m);
    expect(out.stdout).toContain('drill FAILED: 0 of 1 rules passed');
  }, 60_000);

  it('usage errors', async () => {
    expect((await run([], {})).code).toBe(2);
    expect((await run(['--local', '--invoke', 'f'], {})).code).toBe(2);
    expect((await run(['--local', '--rule', 'nope.nope'], {})).code).toBe(2);
    expect((await run(['--local', '--severity', 'urgent'], {})).code).toBe(2);
    // --invoke signs with the deployed key: without the secret, or when it cannot be read, nothing is sent.
    expect((await run(['--invoke', 'f'], {})).code).toBe(2);
    expect((await run(['--local', '--key-secret', 's'], {})).code).toBe(2);
    const elevatedLocal = await run(['--local', '--elevated-function', 'f'], {});
    expect(elevatedLocal.code).toBe(2);
    expect(elevatedLocal.stderr).toContain('--elevated-function is for --invoke');
    const unreadable = await run(['--invoke', 'f', '--key-secret', 's'], {
      readDrillKey: async () => {
        throw new Error('AccessDeniedException');
      },
    });
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain('could not read the drill key from s: AccessDeniedException');
  });
});

describe('drill --invoke (mocked Lambda)', () => {
  const lambda = mockClient(LambdaClient);
  afterAll(() => lambda.restore());
  // The SDK wraps response payloads in a blob adapter; the mock's plain bytes decode the same way.
  const encode = (v: unknown) =>
    new TextEncoder().encode(JSON.stringify(v)) as unknown as InvokeCommandOutput['Payload'];

  it('sends each rule its SQS event, drill-marked, and reports batchItemFailures', async () => {
    lambda.reset();
    lambda
      .on(InvokeCommand)
      .resolvesOnce({ StatusCode: 200, Payload: encode({ batchItemFailures: [] }) })
      .resolvesOnce({ StatusCode: 200, Payload: encode({ batchItemFailures: [{ itemIdentifier: 'drill-2' }] }) });
    const secrets: string[] = [];
    const out = await run(['--invoke', 'trailwarden-evaluate', '--key-secret', 'arn:aws:secretsmanager:drill-key'], {
      rules: withDocsOf(['cloudtrail.logging-stopped', 'signin.console-login-failures']),
      lambdaClient: async () => new LambdaClient({ region: 'us-east-1' }),
      readDrillKey: async (id) => {
        secrets.push(id);
        return KEY;
      },
    });
    expect(secrets).toEqual(['arn:aws:secretsmanager:drill-key']);
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/^PASS\s+cloudtrail\.logging-stopped\s.*0 batchItemFailures/m);
    expect(out.stdout).toMatch(/^FAIL\s+signin\.console-login-failures\s.*1 batchItemFailures/m);
    const calls = lambda.commandCalls(InvokeCommand);
    expect(calls).toHaveLength(2);
    const inputs = calls.map((c) => c.args[0].input);
    expect(inputs.map((i) => [i.FunctionName, i.InvocationType])).toEqual([
      ['trailwarden-evaluate', 'RequestResponse'],
      ['trailwarden-evaluate', 'RequestResponse'],
    ]);
    const events = inputs.map(
      (i) => JSON.parse(new TextDecoder().decode(i.Payload as Uint8Array)) as { Records: Record<string, unknown>[] },
    );
    expect(events.map((e) => e.Records.length)).toEqual([1, 5]);
    const first = events[1]?.Records[0];
    expect(first).toMatchObject({ messageId: 'drill-1', eventSource: 'aws:sqs', receiptHandle: 'drill' });
    const body = JSON.parse(String(first?.body)) as Record<string, unknown>;
    expect(body).toMatchObject({ 'detail-type': 'AWS API Call via CloudTrail', drill: { v: 1 } });
    const parsed = toAuditEvent(body);
    if (!parsed.ok || parsed.event.drillClaim === undefined) throw new Error('not a drill claim');
    expect(verifyDrillClaim(parsed.event.drillClaim, parsed.event, KEY, NOW)).toEqual({ ok: true });
    expect(body.detail).toMatchObject({ eventName: 'ConsoleLogin' });
  });

  it('the elevated-access check: skipped without --elevated-function, else both signed steps invoke it', async () => {
    lambda.reset();
    const deps = {
      rules: withDocsOf([]),
      lambdaClient: async () => new LambdaClient({ region: 'us-east-1' }),
      readDrillKey: async () => KEY,
    };
    const rule = ['--rule', 'iam.temporary-access-not-revoked'];
    const skipped = await run(['--invoke', 'trailwarden-evaluate', '--key-secret', 's', ...rule], deps);
    expect(skipped.stdout).toMatch(/^SKIP\s+iam\.temporary-access-not-revoked\s.*--elevated-function/m);
    expect(skipped.stdout).toContain('drill passed: 0 of 0 rules passed, 1 skipped');
    expect(lambda.commandCalls(InvokeCommand)).toEqual([]);

    const finding = { id: 'f'.repeat(32), ruleId: 'iam.temporary-access-not-revoked', drill: true };
    const report = (over: Record<string, unknown>) => ({
      delivered: [],
      duplicates: 0,
      folded: 0,
      resolved: [],
      unreadable: [],
      failures: [],
      ...over,
    });
    lambda
      .on(InvokeCommand)
      .resolvesOnce({
        StatusCode: 200,
        Payload: encode(report({ delivered: [finding], drill: { honoured: true, step: 'overdue' } })),
      })
      .resolvesOnce({
        StatusCode: 200,
        Payload: encode(report({ resolved: [finding], drill: { honoured: true, step: 'revoked' } })),
      });
    const out = await run(
      ['--invoke', 'trailwarden-evaluate', '--key-secret', 's', '--elevated-function', 'trailwarden-elevated', ...rule],
      deps,
    );
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^PASS\s+iam\.temporary-access-not-revoked\s+high\s+2\s.*paged and resolved f{32}/m);
    const calls = lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input);
    expect(calls.map((i) => [i.FunctionName, i.InvocationType])).toEqual([
      ['trailwarden-elevated', 'RequestResponse'],
      ['trailwarden-elevated', 'RequestResponse'],
    ]);
    // Each step is a signed drill observation the check verifies with the same key.
    const steps = calls.map((i) => JSON.parse(new TextDecoder().decode(i.Payload as Uint8Array)) as unknown);
    const verdicts = steps.map((m) => {
      const input = observationDrillInput(m);
      return input.kind === 'claim' ? verifyObservationDrill(input, KEY, NOW) : undefined;
    });
    expect(verdicts.map((v) => (v?.ok === true ? v.message.step : v))).toEqual(['overdue', 'revoked']);

    // A refusal (the deployed check has another key) is a failure, with its reason.
    lambda.reset();
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: encode(report({ drill: { honoured: false, reason: 'drill signature does not match the event' } })),
    });
    const refused = await run(
      ['--invoke', 'trailwarden-evaluate', '--key-secret', 's', '--elevated-function', 'trailwarden-elevated', ...rule],
      deps,
    );
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^FAIL\s+iam\.temporary-access-not-revoked\s.*drill refused: drill signature/m);
  });

  it('a function error is a failure', async () => {
    lambda.reset();
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: encode({}) });
    const out = await run(['--invoke', 'f', '--key-secret', 's', '--rule', 'cloudtrail.logging-stopped'], {
      rules: withDocsOf(['cloudtrail.logging-stopped']),
      lambdaClient: async () => new LambdaClient({ region: 'us-east-1' }),
      readDrillKey: async () => KEY,
    });
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/^FAIL\s+cloudtrail\.logging-stopped\s.*function error \(Unhandled\)/m);
  });
});

describe('drill --run (the deployed drill function, mocked Lambda)', () => {
  const lambda = mockClient(LambdaClient);
  afterAll(() => lambda.restore());
  const encode = (v: unknown) =>
    new TextEncoder().encode(JSON.stringify(v)) as unknown as InvokeCommandOutput['Payload'];
  const T = Date.parse('2026-12-01T06:00:00Z');
  const outcome = (status: 'passed' | 'failed') => {
    const record = buildDrillRun({
      runId: 'drill-4f2a',
      trigger: 'cli',
      startedMs: T,
      endedMs: T + 95_000,
      rules: [
        {
          ruleId: 'cloudtrail.logging-stopped',
          status,
          severity: 'critical',
          caseName: 'StopLogging by an IAM user',
          eventIds: ['e-1'],
          sentAt: '2026-12-01T06:00:01.000Z',
          archiveMs: 4_000,
          pageMs: 5_000,
          slaSeconds: 300,
          sla: 'met',
          detail: status === 'passed' ? 'archived and paged' : 'no drill page within 13 min',
        },
        { ruleId: 'signin.new-source', status: 'skipped', detail: 'behaviour rule: history cannot be drilled' },
      ],
    });
    return { record, key: drillRunKey(record) };
  };

  it('invokes the drill function as the schedule would, with the rules asked for, and prints its record', async () => {
    lambda.reset();
    const reply = outcome('passed');
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode(reply) });
    const out = await run(['--run', 'Trailwarden-PipelineDrillsDrill-1A2B', '--rule', 'cloudtrail.logging-stopped'], {
      lambdaClient: async () => new LambdaClient({ region: 'eu-west-1' }),
    });
    expect(out.code).toBe(0);
    const calls = lambda.commandCalls(InvokeCommand);
    expect(calls.map((c) => c.args[0].input.FunctionName)).toEqual(['Trailwarden-PipelineDrillsDrill-1A2B']);
    expect(calls[0]?.args[0].input.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(new TextDecoder().decode(calls[0]?.args[0].input.Payload as Uint8Array))).toEqual({
      rules: ['cloudtrail.logging-stopped'],
      trigger: 'cli',
    });
    expect(out.stdout).toContain('PASS cloudtrail.logging-stopped (critical) archived 4.0s, paged 5.0s, SLA 300s met');
    expect(out.stdout).toContain('SKIP signin.new-source: behaviour rule');
    expect(out.stdout).toContain(`drill passed: recorded as ${reply.key}`);
  });

  it('exits 1 on a failed run, a function error, or a reply that is not a record', async () => {
    const deps = { lambdaClient: async () => new LambdaClient({ region: 'eu-west-1' }) };
    lambda.reset();
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode(outcome('failed')) });
    const failed = await run(['--run', 'd'], deps);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('FAIL cloudtrail.logging-stopped');
    expect(failed.stdout).toMatch(/drill FAILED: recorded as drills\/dt=2026-12-01\/.*-failed\.json/);
    lambda.reset();
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: encode({}) });
    expect((await run(['--run', 'd'], deps)).stderr).toContain('function error (Unhandled)');
    lambda.reset();
    // A record whose status disagrees with its key is not trusted (the health check reads the key).
    const lying = { ...outcome('failed'), key: outcome('passed').key };
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode(lying) });
    const bad = await run(['--run', 'd'], deps);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('did not return a drill record');
  });

  it('takes only --rule beside it', async () => {
    for (const extra of [['--local'], ['--invoke', 'f'], ['--key-secret', 's'], ['--severity', 'high']]) {
      const out = await run(['--run', 'd', ...extra], {});
      expect(out.code).toBe(2);
      expect(out.stderr).toContain('--run takes only --rule');
    }
  });
});
