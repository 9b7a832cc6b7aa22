import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRuleText, RULE_TEXT_FILE, readRuleTextFile } from '../../functions/evaluate/rule-text.ts';
import { GEO_FILES, npmGeoFiles } from '../../functions/shared/adapters/ip-database.ts';
import { buildTrailwarden } from '../../infra/build-app.ts';
import { loadConfig } from '../../infra/config.ts';
import { RULES } from '../../rules/index.ts';

/** The one test that bundles for real (esbuild through CDK): what the evaluate function's package holds. */
describe('evaluate function package', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'trailwarden-bundling-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('ships rule-text.json beside index.mjs (evaluate and replay)', () => {
    // The CLI asks for asset metadata (aws:asset:path) the same way.
    const app = new App({
      outdir,
      builtinCloudFormationValidation: false,
      context: { 'aws:cdk:enable-asset-metadata': true },
    });
    const { main: stack } = buildTrailwarden(
      app,
      // Replay on, so its function (which bundles the rules too) is packaged here as well.
      loadConfig({ replay: { trailBuckets: ['org-trail-logs'] } }),
      RULES.map((r) => r.on),
      { nag: false },
    );
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as {
      Resources: Record<
        string,
        { Type: string; Properties?: { Description?: string }; Metadata?: Record<string, string> }
      >;
    };
    const assetOf = (description: string): string => {
      const fn = Object.values(template.Resources).find(
        (r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Description?.includes(description),
      );
      const assetPath = fn?.Metadata?.['aws:asset:path'];
      expect(assetPath, description).toBeDefined();
      return join(outdir, assetPath ?? '');
    };
    // Each function its own bundle: CDK caches bundling by its options, which must therefore name the entry.
    const fns = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    const paths = fns.map((r) => r.Metadata?.['aws:asset:path']);
    expect(fns.length).toBeGreaterThan(5);
    expect(new Set(paths).size).toBe(paths.length);
    const dir = assetOf('evaluates CloudTrail');
    // Every function that builds findings from the rules carries their text beside its JavaScript, not in it.
    const shipped = parseRuleText(readRuleTextFile());
    for (const fnDir of [dir, assetOf('replays CloudTrail log files')]) {
      expect(readFileSync(join(fnDir, RULE_TEXT_FILE), 'utf8')).toBe(readRuleTextFile());
      const js = [join(fnDir, 'index.mjs'), ...readdirSync(join(fnDir, 'chunks')).map((f) => join(fnDir, 'chunks', f))]
        .filter((f) => f.endsWith('.mjs'))
        .map((f) => readFileSync(f, 'utf8'))
        .join('\n');
      const inlined = [...shipped.values()].filter((t) => js.includes(t.description.slice(0, 40)));
      expect(inlined.length, fnDir).toBe(0);
    }
    expect(existsSync(join(dir, 'index.mjs'))).toBe(true);
    // The IP database rides in the asset beside index.mjs, byte for byte the npm files, and not in the JavaScript.
    for (const [name, npmFile] of Object.entries(GEO_FILES).map(
      ([k, f]) => [f, npmGeoFiles()[k as keyof typeof GEO_FILES]] as const,
    )) {
      expect(statSync(join(dir, name)).size, name).toBe(statSync(npmFile).size);
    }
    expect(statSync(join(dir, 'index.mjs')).size).toBeLessThan(1_000_000);
    // CDK's bundling carries the lean DynamoDB client, not the SDK's (cold init, infra/sdk-externals.ts).
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    expect(/(from\s*|import\()"@aws-sdk\/client-dynamodb"/.test(code)).toBe(false);
    expect(code.includes('@smithy')).toBe(false);
    expect(code.includes('DynamoDB_20120810.')).toBe(true);
    expect(code.includes('import("@aws-sdk/client-sns")')).toBe(true);
    // Every function is bundled for real, each with its DynamoDB client: slow on a shared machine.
  }, 120_000);
});
