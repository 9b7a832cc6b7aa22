/**
 * What every rule must declare and no engine test looks at, for the rules tests define themselves:
 * `defineRule({ ...TEST_RULE, id, on, match, … })`, overriding whatever the test is about (severity, title).
 * Docs (description, runbook, rationale, false positives, cases) are not part of a rule: they are its `docs` export.
 */
export const TEST_RULE = {
  title: 'Test rule',
  severity: 'high',
  controls: ['A.8.15'],
  mitre: [],
} as const;
