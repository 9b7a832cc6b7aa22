import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLE_CEILING_KB } from '../../bench/bundle-ceiling.ts';
import { bundleEvaluate } from '../../bench/lambda.ts';
import { parseRuleText, RULE_TEXT_FILE, readRuleTextFile } from '../../functions/evaluate/rule-text.ts';
import { RULES } from '../../rules/index.ts';

/**
 * What the evaluate bundle must not carry, checked on the real esbuild output (sizes and timings are the
 * bench's business). Rule `docs` (rationale, false positives, cases) and the fixture loader stay out because
 * rule files export them apart and nothing the handler imports uses them; the S3 and SNS clients load on the
 * first finding, not at cold start.
 */
/** Every JavaScript file of a bundle: index.mjs and the chunks beside it. */
const allCode = (dir: string): string =>
  [
    readFileSync(join(dir, 'index.mjs'), 'utf8'),
    ...readdirSync(join(dir, 'chunks'))
      .filter((f) => f.endsWith('.mjs'))
      .map((f) => readFileSync(join(dir, 'chunks', f), 'utf8')),
  ].join('\n');

describe('evaluate bundle', async () => {
  const { dir, file, bytes } = await bundleEvaluate();
  // What cold init compiles, and everything deployed (the rules' chunks included).
  const entry = readFileSync(file, 'utf8');
  const code = allCode(dir);

  it('carries no rule docs, cases or fixture loader', () => {
    expect(code).not.toMatch(/rationale:/);
    expect(code).not.toMatch(/falsePositives:/);
    expect(code).not.toContain('fixture ${');
    // Case-only test data, such as the approved deploy role the cases configure.
    expect(code).not.toContain('role/deploy-role');
  });

  it('carries no rule descriptions or runbooks: they ship beside it in rule-text.json', async () => {
    const shipped = parseRuleText(readFileSync(join(dirname(file), RULE_TEXT_FILE), 'utf8'));
    expect(shipped.size).toBe(RULES.length);
    for (const rule of RULES) {
      const text = shipped.get(rule.id);
      expect(text, rule.id).toBeDefined();
      for (const step of text?.runbook ?? []) expect(code, rule.id).not.toContain(step.slice(0, 40));
      expect(code, rule.id).not.toContain(text?.description.slice(0, 40));
    }
  });

  it('the replay function, which bundles the rules too, carries no descriptions or runbooks either', async () => {
    const replay = allCode((await bundleEvaluate('functions/replay/handler.ts')).dir);
    const shipped = parseRuleText(readRuleTextFile());
    const inlined = [...shipped].filter(
      ([, t]) => replay.includes(t.description.slice(0, 40)) || t.runbook.some((s) => replay.includes(s.slice(0, 40))),
    );
    expect(inlined.map(([id]) => id)).toEqual([]);
  });

  it('carries no IP database: the MMDB and ASN tables ship beside it, opened on the first sign-in', () => {
    // Every MMDB file ends with this metadata marker; the ASN table's first row names Cloudflare's first range.
    expect(code.includes('\xab\xcd\xefMaxMind.com')).toBe(false);
    expect(code.includes('16777216,16777471,13335')).toBe(false);
    expect(Buffer.byteLength(code)).toBeLessThan(1_000_000);
  });

  it('talks to DynamoDB through its own lean client, without the SDK; loads S3 and SNS only when a finding is delivered', () => {
    // Booleans, not the code: a failure must not print the whole minified bundle.
    // Neither imported from node_modules nor bundled: the SDK's DynamoDB stack was most of the cold init.
    expect(/(from\s*|import\()"@aws-sdk\/client-dynamodb"/.test(code)).toBe(false);
    expect(code.includes('DynamoDBClient')).toBe(false);
    expect(code.includes('@smithy')).toBe(false);
    // The lean client's JSON-protocol target is there instead.
    expect(code.includes('DynamoDB_20120810.')).toBe(true);
    expect(/from\s*"@aws-sdk\/[a-z0-9-]+"/.test(code)).toBe(false);
    expect(code.includes('import("@aws-sdk/client-s3")')).toBe(true);
    expect(code.includes('import("@aws-sdk/client-sns")')).toBe(true);
    // Organisation deployment: account tags are read on the first batch that needs them, never at cold start.
    expect(code.includes('import("@aws-sdk/client-organizations")')).toBe(true);
  });

  it('compiles no rule at cold start: the rules are a chunk of their own, imported on the first event one selects', () => {
    const rule = RULES.find((r) => r.id === 'cloudtrail.logging-stopped');
    expect(rule).toBeDefined();
    // The title is in the code the function deploys, but not in what init loads.
    expect(code.includes(JSON.stringify(rule?.title))).toBe(true);
    expect(entry.includes(JSON.stringify(rule?.title))).toBe(false);
    const chunks = readdirSync(join(dir, 'chunks'));
    expect(chunks.some((f) => /^rules-[A-Z0-9]+\.mjs$/.test(f))).toBe(true);
    expect(entry.includes('import("./chunks/rules-')).toBe(true);
  });

  it('has no dynamic-require shim: no bundled dependency calls require() (there is no createRequire banner)', () => {
    expect(code.includes('Dynamic require of')).toBe(false);
  });

  it('stays under the bundle ceiling the bench holds it to (what cold init loads)', () => {
    expect(bytes / 1024).toBeLessThan(BUNDLE_CEILING_KB);
  });
});
