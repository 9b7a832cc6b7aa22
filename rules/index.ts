import { rule as accountRootActivity } from './account/root-activity.rule.ts';
import { rule as cloudtrailLoggingStopped } from './cloudtrail/logging-stopped.rule.ts';
import { rule as cloudtrailTrailDegraded } from './cloudtrail/trail-degraded.rule.ts';
import { rule as configRecorderStopped } from './config/recorder-stopped.rule.ts';
import { buildCatalogue } from './core/engine.ts';
import type { Rule } from './core/types.ts';
import { rule as ec2IngressOpenToInternet } from './ec2/ingress-open-to-internet.rule.ts';
import { rule as ec2SecurityGroupChanged } from './ec2/security-group-changed.rule.ts';
import { rule as iamAdminGranted } from './iam/admin-granted.rule.ts';
import { rule as iamPolicyChanged } from './iam/policy-changed.rule.ts';
import { rule as iamRootAccessKeyCreated } from './iam/root-access-key-created.rule.ts';
import { rule as s3BucketMadePublic } from './s3/bucket-made-public.rule.ts';
import { rule as s3PublicAccessBlockRemoved } from './s3/public-access-block-removed.rule.ts';
import { rule as signinConsoleLoginFailures } from './signin/console-login-failures.rule.ts';
import { rule as signinConsoleLoginWithoutMfa } from './signin/console-login-without-mfa.rule.ts';

// Explicit registry: a rule exists once it is imported and listed here (the catalogue test checks every
// *.rule.ts file is). Imports are sorted by path; the list below is grouped by the Annex A areas of
// DESIGN §3, each group alphabetical.
export const RULES: readonly Rule[] = [
  // A.8.5 authentication
  signinConsoleLoginFailures,
  signinConsoleLoginWithoutMfa,
  // A.8.2 privileged access
  accountRootActivity,
  iamAdminGranted,
  iamPolicyChanged,
  iamRootAccessKeyCreated,
  // A.8.15 logging
  cloudtrailLoggingStopped,
  cloudtrailTrailDegraded,
  configRecorderStopped,
  // A.5.23 cloud services
  s3BucketMadePublic,
  s3PublicAccessBlockRemoved,
  // A.8.9 configuration
  ec2IngressOpenToInternet,
  ec2SecurityGroupChanged,
];

export const catalogue = buildCatalogue(RULES);
