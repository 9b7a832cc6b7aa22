import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonLines, jsonLinesOf, runCli, stopLogging, tempTree } from './helpers.ts';

/** issue #16 item 6: records with fields of the wrong JSON type, through the CLI and every format. */
describe('trailwarden scan: records with wrong-typed fields', () => {
  const hostile = () =>
    jsonLines([
      stopLogging('ev-1', { recipientAccountId: 7, requestParameters: { name: 'trail-1' } }),
      stopLogging('ev-2', {
        userIdentity: { type: 'IAMUser', arn: {}, userName: [] },
        requestParameters: { name: 'trail-2' },
        recipientAccountId: '444455556666',
      }),
      stopLogging('ev-3', { requestParameters: 'x', resources: {}, recipientAccountId: '111122223333' }),
      stopLogging('ev-4', { eventSource: 7 }),
    ]);

  it.each(['table', 'jsonl', 'ocsf'])(
    '--format %s prints every finding and names each dropped field',
    async (format) => {
      const dir = tempTree({ 'hostile.jsonl': hostile() });
      const { code, stdout, stderr } = await runCli([
        'scan',
        join(dir, 'hostile.jsonl'),
        '--format',
        format,
        '--summary',
      ]);
      expect(code).toBe(0);
      expect(stderr).toContain('hostile.jsonl:1: recipientAccountId: number, not string; ignored');
      expect(stderr).toContain('hostile.jsonl:2: userIdentity.arn: object, not string; ignored');
      expect(stderr).toContain('hostile.jsonl:2: userIdentity.userName: array, not string; ignored');
      expect(stderr).toContain('hostile.jsonl:3: requestParameters: string, not object or null; ignored');
      expect(stderr).toContain('hostile.jsonl:3: resources: object, not array of objects; ignored');
      expect(stderr).toContain('hostile.jsonl:4: record eventSource is number, not string');
      expect(stderr).toMatch(/skipped: 1 bad line, .*fields of the wrong type ignored: 5/);
      if (format === 'table') {
        expect(stdout).toMatch(/^3 findings \(3 critical\)$/m);
        expect(stdout).toContain('444455556666');
      } else {
        const findings = jsonLinesOf(stdout);
        expect(findings).toHaveLength(3);
        expect(JSON.stringify(findings)).toContain('record field recipientAccountId: number, not string; ignored');
      }
    },
  );
});
