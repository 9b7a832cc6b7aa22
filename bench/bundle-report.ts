/**
 * What the evaluate bundle's cold init loads: bytes of minified output per group of source files and the largest files,
 * from esbuild's metafile (`npx tsx bench/bundle-report.ts [handler entry] [top N]`). Sizes only, no timing: safe
 * on a shared machine. README ("Benchmark") quotes its figures.
 */
import { BUNDLE_CEILING_KB } from './bundle-ceiling.ts';
import { bundleEvaluate } from './lambda.ts';

/** Rule files together, `rules/core`, each npm package, else the first two path segments. */
export const groupOf = (input: string): string => {
  if (/^rules\/[^/]+\/[^/]+\.rule\.ts$/.test(input)) return 'rules/*/*.rule.ts (predicates, titles, selectors)';
  const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
  if (pkg !== undefined) return `npm ${pkg}`;
  return input.split('/').slice(0, 2).join('/');
};

export const composition = (inputs: Readonly<Record<string, number>>): [string, number][] => {
  const groups = new Map<string, number>();
  for (const [input, bytes] of Object.entries(inputs))
    groups.set(groupOf(input), (groups.get(groupOf(input)) ?? 0) + bytes);
  return [...groups].sort((a, b) => b[1] - a[1]);
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const entry = process.argv[2] ?? 'functions/evaluate/handler.ts';
  const top = Number(process.argv[3] ?? 25);
  const { bytes, totalBytes, chunks, inputs } = await bundleEvaluate(entry);
  const kb = (n: number) => `${(n / 1024).toFixed(1).padStart(7)} KB`;
  console.log(`${entry}: ${bytes} bytes (${kb(bytes).trim()}) loaded at init, ceiling ${BUNDLE_CEILING_KB} KB`);
  console.log(`every chunk deployed: ${kb(totalBytes).trim()} in ${chunks} files; what init loads, by source:`);
  for (const [group, n] of composition(inputs)) console.log(`${kb(n)}  ${group}`);
  console.log(`largest files:`);
  for (const [input, n] of Object.entries(inputs)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top))
    console.log(`${kb(n)}  ${input}`);
}
