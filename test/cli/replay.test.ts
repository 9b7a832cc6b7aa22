import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ListMapRunsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { replayCommand } from '../../cli/commands/replay.ts';
import { ioFor, runCli } from './helpers.ts';

const SM = 'arn:aws:states:eu-west-1:111122223333:stateMachine:PipelineReplayStateMachine';
const EXEC = 'arn:aws:states:eu-west-1:111122223333:execution:PipelineReplayStateMachine:r1';
const MAP_RUN =
  'arn:aws:states:eu-west-1:111122223333:mapRun:PipelineReplayStateMachine/r1:0b1c2d3e-aaaa-bbbb-cccc-000000000001';
const sfn = mockClient(SFNClient);
const s3 = mockClient(S3Client);
afterEach(() => {
  sfn.reset();
  s3.reset();
});

const run = async (args: string[], env: Record<string, string> = {}) => {
  const { io, stdout, stderr } = ioFor({ env });
  let usage = 0;
  const code = await replayCommand(args, io, () => usage++, {
    sfn: async () => new SFNClient({ region: 'eu-west-1' }),
    s3: async () => new S3Client({ region: 'eu-west-1' }),
    sleep: async () => {},
    randomId: () => 'abc123',
  });
  return { code, stdout: stdout(), stderr: stderr(), usage };
};
const ARGS = ['--from', '2026-03-01', '--to', '2026-03-31', 's3://org-trail-logs/central', '--state-machine-arn', SM];

describe('trailwarden replay', () => {
  it('starts the state machine with exactly the replay input, and returns at once with --no-wait', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXEC, startDate: new Date() });
    const r = await run([...ARGS, '--no-wait', '--rules', 'signin.console-login-failures, iam.user-created', '--page']);
    expect(r.code).toBe(0);
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([
      {
        stateMachineArn: SM,
        name: 'replay-2026-03-01-2026-03-31-abc123',
        input: JSON.stringify({
          bucket: 'org-trail-logs',
          prefix: 'central/',
          from: '2026-03-01',
          to: '2026-03-31',
          page: true,
          rules: ['signin.console-login-failures', 'iam.user-created'],
        }),
      },
    ]);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
    expect(r.stdout).toContain(EXEC);
  });

  it('prints files done / total until the execution succeeds, then the findings and the bad files', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXEC, startDate: new Date() });
    sfn
      .on(DescribeExecutionCommand, { executionArn: EXEC })
      .resolvesOnce({ status: 'RUNNING', executionArn: EXEC, stateMachineArn: SM, startDate: new Date() })
      .resolves({
        status: 'SUCCEEDED',
        executionArn: EXEC,
        stateMachineArn: SM,
        startDate: new Date(),
        output: JSON.stringify({
          files: 300,
          events: 90_000,
          candidates: 120,
          findings: 7,
          incidents: 3,
          ruleErrors: 0,
          problems: [{ file: 's3://org-trail-logs/x_bad.json.gz', message: 'invalid JSON document' }],
        }),
      });
    sfn
      .on(ListMapRunsCommand, { executionArn: EXEC })
      .resolves({ mapRuns: [{ mapRunArn: MAP_RUN, executionArn: EXEC, stateMachineArn: SM, startDate: new Date() }] });
    sfn
      .on(DescribeMapRunCommand, { mapRunArn: MAP_RUN })
      .resolvesOnce({ itemCounts: { total: 300, succeeded: 120, failed: 0 } } as never)
      .resolves({ itemCounts: { total: 300, succeeded: 300, failed: 0 } } as never);
    const r = await run(ARGS);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('running: files 120/300 done');
    expect(r.stderr).toContain('succeeded: files 300/300 done');
    expect(r.stdout).toContain(
      '300 files, 90000 events, 120 selected by a rule, 7 findings in 3 incidents (archived, not paged)',
    );
    expect(r.stderr).toContain('s3://org-trail-logs/x_bad.json.gz: invalid JSON document');
  });

  it('exits 1 when the execution failed, naming the files of each failed batch', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXEC, startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({
      status: 'FAILED',
      executionArn: EXEC,
      stateMachineArn: SM,
      startDate: new Date(),
      error: 'States.ExceedToleratedFailureThreshold',
      cause: 'The specified tolerated failure threshold was exceeded',
    });
    sfn
      .on(ListMapRunsCommand)
      .resolves({ mapRuns: [{ mapRunArn: MAP_RUN, executionArn: EXEC, stateMachineArn: SM, startDate: new Date() }] });
    sfn.on(DescribeMapRunCommand).resolves({ itemCounts: { total: 300, succeeded: 298, failed: 2 } } as never);
    s3.on(ListObjectsV2Command, {
      Bucket: 'work-bucket',
      Prefix: 'results/0b1c2d3e-aaaa-bbbb-cccc-000000000001/',
    }).resolves({
      Contents: [
        { Key: 'results/0b1c2d3e-aaaa-bbbb-cccc-000000000001/FAILED_0.json' },
        { Key: 'results/0b1c2d3e-aaaa-bbbb-cccc-000000000001/manifest.json' },
      ],
    });
    const failed = [
      {
        Input: JSON.stringify({
          Items: [{ key: 'AWSLogs/1/a.json.gz' }, { key: 'AWSLogs/1/b.json.gz' }],
          BatchInput: {},
        }),
        Error: 'AccessDenied',
        Cause: 'kms:Decrypt',
      },
    ];
    s3.on(GetObjectCommand, {
      Bucket: 'work-bucket',
      Key: 'results/0b1c2d3e-aaaa-bbbb-cccc-000000000001/FAILED_0.json',
    }).resolves({
      Body: { transformToString: async () => JSON.stringify(failed) } as never,
    });
    const r = await run([...ARGS, '--work-bucket', 'work-bucket']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('failed: States.ExceedToleratedFailureThreshold');
    expect(r.stderr).toContain('failed batch (AccessDenied: kms:Decrypt): AWSLogs/1/a.json.gz, AWSLogs/1/b.json.gz');
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
  });

  it.each([
    [['--to', '2026-03-31', 's3://b-1', '--state-machine-arn', SM], '--from and --to are required'],
    [['--from', '2026-02-30', '--to', '2026-03-31', 's3://b-1', '--state-machine-arn', SM], 'is not a day'],
    [['--from', '2026-03-02', '--to', '2026-03-01', 's3://b-1', '--state-machine-arn', SM], 'is before'],
    [['--from', '2026-03-01', '--to', '2026-03-01', 'b-1', '--state-machine-arn', SM], 'not an S3 location'],
    [['--from', '2026-03-01', '--to', '2026-03-01', 's3://b-1'], 'TRAILWARDEN_REPLAY_STATE_MACHINE'],
  ])('refuses %j (exit 2, no AWS call)', async (args, error) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.usage).toBe(1);
    expect(r.stderr).toContain(error);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('takes the state machine from the environment, and answers --help', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXEC, startDate: new Date() });
    const r = await run(['--from', '2026-03-01', '--to', '2026-03-01', 's3://b-1', '--no-wait'], {
      TRAILWARDEN_REPLAY_STATE_MACHINE: SM,
    });
    expect(r.code).toBe(0);
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.stateMachineArn).toBe(SM);
    const help = await runCli(['replay', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: trailwarden replay --from YYYY-MM-DD --to YYYY-MM-DD');
  });
});
