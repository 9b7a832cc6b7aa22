/**
 * The evaluate bundle's ceiling in KB (bench target and bundle test): what cold init loads, `index.mjs` and the
 * chunks it imports statically. Issue #11's 200 KB. The lean DynamoDB client took the SDK out (541 → 230 KB), its
 * own SigV4 signer took `aws4` out, rule descriptions and runbooks ship beside it in rule-text.json, and since the
 * lazy catalogue (rules/core/lazy-catalogue.ts) no rule is compiled at init: the rules are a chunk of their own,
 * imported by the first batch with an event a rule selects, and the entry holds only their ids and selectors
 * (rules/selectors.ts). With 221 rules: 121 KB at init of 386 KB deployed (the single bundle it replaced was
 * 352 KB and grew ~1 KB a rule; `npx tsx bench/bundle-report.ts`). A new rule adds its selector to the entry and
 * its code to the rules' chunk; `bundleTotalKB` and `initAllRulesMs` in `npm run bench` show the whole.
 */
export const BUNDLE_CEILING_KB = 200;
