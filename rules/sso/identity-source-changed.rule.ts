import { isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

// Identity-source changes log under sso-directory.amazonaws.com (Sigma's aws_sso_idp_change lists the same).
const EVENTS = [
  'AssociateDirectory',
  'DisassociateDirectory',
  'EnableExternalIdPConfigurationForDirectory',
  'DisableExternalIdPConfigurationForDirectory',
  'CreateExternalIdPConfigurationForDirectory',
  'UpdateExternalIdPConfigurationForDirectory',
  'DeleteExternalIdPConfigurationForDirectory',
] as const;

export const rule = defineRule({
  id: 'sso.identity-source-changed',
  title: 'IAM Identity Center identity source or external IdP changed',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.5', 'A.8.2'],
  mitre: ['T1556.007', 'T1484.002'],
  on: { source: 'sso-directory', eventNames: [...EVENTS] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e),
  explain: (e) => [`${e.eventName} on directory ${stringParam(e.requestParameters, 'directoryId') ?? '?'}`],
  dedup: { key: (e) => `${e.recipientAccountId ?? '?'}|identity-source` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'The identity source of IAM Identity Center changed: an external identity provider was enabled, disabled or ' +
    'reconfigured, or a directory associated or removed. Whoever runs the new source decides who signs in as ' +
    'every Identity Center user, in every account.',
  runbook: [
    'Check the identity source in the Identity Center console (Settings → Identity source) and the IdP metadata now configured.',
    'Unless a change record explains it, restore the previous source and revoke active Identity Center sessions.',
    'Review sign-ins (sso.amazonaws.com / signin events) since the change for unknown users.',
  ],
  rationale:
    'One successful call is enough: this is rarely done and replaces the root of trust for workforce sign-in. ' +
    'High, critical on high-criticality assets.',
  falsePositives: ['A planned IdP migration: suppress for its window with the change reference.'],
  cases: () => [
    {
      name: 'external IdP enabled',
      expect: 'match',
      event: fixture('sso-directory/EnableExternalIdPConfigurationForDirectory'),
    },
    {
      name: 'disabled external IdP (back to the built-in directory)',
      expect: 'match',
      event: fixture('sso-directory/EnableExternalIdPConfigurationForDirectory', {
        eventName: 'DisableExternalIdPConfigurationForDirectory',
      }),
    },
    {
      name: 'done by AWS itself',
      expect: 'no-match',
      event: fixture('sso-directory/EnableExternalIdPConfigurationForDirectory', {
        userIdentity: { type: 'AWSService', invokedBy: 'sso.amazonaws.com' },
      }),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('sso-directory/EnableExternalIdPConfigurationForDirectory', {
        errorCode: 'AccessDeniedException',
        errorMessage: 'User is not authorized to perform: sso-directory:EnableExternalIdPConfigurationForDirectory',
      }),
    },
  ],
};
