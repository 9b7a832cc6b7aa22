import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bundleEvaluate } from '../../bench/lambda.ts';

/**
 * What the evaluate bundle must not carry, checked on the real esbuild output (sizes and timings are the
 * bench's business). Rule `docs` (rationale, false positives, cases) and the fixture loader stay out because
 * rule files export them apart and nothing the handler imports uses them; the S3 and SNS clients load on the
 * first finding, not at cold start.
 */
describe('evaluate bundle', async () => {
  const { file } = await bundleEvaluate();
  const code = readFileSync(file, 'utf8');

  it('carries no rule docs, cases or fixture loader', () => {
    expect(code).not.toMatch(/rationale:/);
    expect(code).not.toMatch(/falsePositives:/);
    expect(code).not.toContain('fixture ${');
    // Case-only test data, such as the approved deploy role the cases configure.
    expect(code).not.toContain('role/deploy-role');
  });

  it('imports DynamoDB at load, but S3 and SNS only when a finding is delivered', () => {
    expect(code).toMatch(/from\s*"@aws-sdk\/client-dynamodb"/);
    expect(code).not.toMatch(/from\s*"@aws-sdk\/client-(s3|sns)"/);
    expect(code).toContain('import("@aws-sdk/client-s3")');
    expect(code).toContain('import("@aws-sdk/client-sns")');
  });
});
