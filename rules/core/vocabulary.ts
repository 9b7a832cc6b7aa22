/** The words every other core module speaks: severities, Annex A controls, criticalities (no imports, so no cycles). */

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** ISO/IEC 27001:2022 Annex A controls Trailwarden can evidence from CloudTrail and Config. */
export const CONTROLS = {
  'A.5.23': 'Information security for use of cloud services',
  'A.8.2': 'Privileged access rights',
  'A.8.3': 'Information access restriction',
  'A.8.5': 'Secure authentication',
  'A.8.8': 'Management of technical vulnerabilities',
  'A.8.9': 'Configuration management',
  'A.8.10': 'Information deletion',
  'A.8.13': 'Information backup',
  'A.8.15': 'Logging',
  'A.8.16': 'Monitoring activities',
  'A.8.19': 'Installation of software on operational systems',
  'A.8.20': 'Networks security',
} as const;
export type Control = keyof typeof CONTROLS;

export const CRITICALITIES = ['high', 'medium', 'low'] as const;
export type Criticality = (typeof CRITICALITIES)[number];
