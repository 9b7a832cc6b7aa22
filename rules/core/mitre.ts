/**
 * The MITRE ATT&CK (Enterprise, cloud matrix) techniques the catalogue names, with their names and tactics, so
 * OCSF `finding_info.attacks` and Security Hub `Types` can say more than a bare id. Only the techniques rules
 * use: the catalogue test fails when a rule names one missing here. Pure data, no SDK: safe in any bundle.
 */
export interface MitreTactic {
  readonly uid: string;
  readonly name: string;
}

export const TACTICS = {
  resourceDevelopment: { uid: 'TA0042', name: 'Resource Development' },
  initialAccess: { uid: 'TA0001', name: 'Initial Access' },
  execution: { uid: 'TA0002', name: 'Execution' },
  persistence: { uid: 'TA0003', name: 'Persistence' },
  privilegeEscalation: { uid: 'TA0004', name: 'Privilege Escalation' },
  defenseEvasion: { uid: 'TA0005', name: 'Defense Evasion' },
  credentialAccess: { uid: 'TA0006', name: 'Credential Access' },
  lateralMovement: { uid: 'TA0008', name: 'Lateral Movement' },
  discovery: { uid: 'TA0007', name: 'Discovery' },
  collection: { uid: 'TA0009', name: 'Collection' },
  exfiltration: { uid: 'TA0010', name: 'Exfiltration' },
  commandAndControl: { uid: 'TA0011', name: 'Command and Control' },
  impact: { uid: 'TA0040', name: 'Impact' },
} as const satisfies Record<string, MitreTactic>;

export interface MitreTechnique {
  readonly name: string;
  /** In ATT&CK's order; a sub-technique has its parent's tactics. */
  readonly tactics: readonly MitreTactic[];
}

const T = TACTICS;

export const TECHNIQUES: Readonly<Record<string, MitreTechnique>> = {
  T1020: { name: 'Automated Exfiltration', tactics: [T.exfiltration] },
  T1021: { name: 'Remote Services', tactics: [T.lateralMovement] },
  'T1021.004': { name: 'SSH', tactics: [T.lateralMovement] },
  'T1021.007': { name: 'Cloud Services', tactics: [T.lateralMovement] },
  T1037: { name: 'Boot or Logon Initialization Scripts', tactics: [T.persistence, T.privilegeEscalation] },
  T1040: { name: 'Network Sniffing', tactics: [T.credentialAccess, T.discovery] },
  T1059: { name: 'Command and Scripting Interpreter', tactics: [T.execution] },
  'T1059.009': { name: 'Cloud API', tactics: [T.execution] },
  'T1098.004': { name: 'SSH Authorized Keys', tactics: [T.persistence, T.privilegeEscalation] },
  T1552: { name: 'Unsecured Credentials', tactics: [T.credentialAccess] },
  'T1552.001': { name: 'Credentials In Files', tactics: [T.credentialAccess] },
  'T1552.005': { name: 'Cloud Instance Metadata API', tactics: [T.credentialAccess] },
  'T1583.006': { name: 'Web Services', tactics: [T.resourceDevelopment] },
  'T1584.001': { name: 'Domains', tactics: [T.resourceDevelopment] },
  'T1584.002': { name: 'DNS Server', tactics: [T.resourceDevelopment] },
  T1070: { name: 'Indicator Removal', tactics: [T.defenseEvasion] },
  T1078: {
    name: 'Valid Accounts',
    tactics: [T.defenseEvasion, T.persistence, T.privilegeEscalation, T.initialAccess],
  },
  'T1078.004': {
    name: 'Cloud Accounts',
    tactics: [T.defenseEvasion, T.persistence, T.privilegeEscalation, T.initialAccess],
  },
  'T1069.003': { name: 'Cloud Groups', tactics: [T.discovery] },
  T1072: { name: 'Software Deployment Tools', tactics: [T.execution, T.lateralMovement] },
  T1087: { name: 'Account Discovery', tactics: [T.discovery] },
  'T1087.004': { name: 'Cloud Account', tactics: [T.discovery] },
  'T1090.003': { name: 'Multi-hop Proxy', tactics: [T.commandAndControl] },
  T1098: { name: 'Account Manipulation', tactics: [T.persistence, T.privilegeEscalation] },
  'T1098.001': { name: 'Additional Cloud Credentials', tactics: [T.persistence, T.privilegeEscalation] },
  'T1098.003': { name: 'Additional Cloud Roles', tactics: [T.persistence, T.privilegeEscalation] },
  'T1098.005': { name: 'Device Registration', tactics: [T.persistence, T.privilegeEscalation] },
  'T1098.006': { name: 'Additional Container Cluster Roles', tactics: [T.persistence, T.privilegeEscalation] },
  T1110: { name: 'Brute Force', tactics: [T.credentialAccess] },
  'T1110.001': { name: 'Password Guessing', tactics: [T.credentialAccess] },
  'T1110.003': { name: 'Password Spraying', tactics: [T.credentialAccess] },
  T1111: { name: 'Multi-Factor Authentication Interception', tactics: [T.credentialAccess] },
  T1133: { name: 'External Remote Services', tactics: [T.persistence, T.initialAccess] },
  T1136: { name: 'Create Account', tactics: [T.persistence] },
  'T1136.003': { name: 'Cloud Account', tactics: [T.persistence] },
  T1190: { name: 'Exploit Public-Facing Application', tactics: [T.initialAccess] },
  T1201: { name: 'Password Policy Discovery', tactics: [T.discovery] },
  T1204: { name: 'User Execution', tactics: [T.execution] },
  'T1204.003': { name: 'Malicious Image', tactics: [T.execution] },
  T1485: { name: 'Data Destruction', tactics: [T.impact] },
  T1486: { name: 'Data Encrypted for Impact', tactics: [T.impact] },
  T1489: { name: 'Service Stop', tactics: [T.impact] },
  T1490: { name: 'Inhibit System Recovery', tactics: [T.impact] },
  T1496: { name: 'Resource Hijacking', tactics: [T.impact] },
  'T1496.001': { name: 'Compute Hijacking', tactics: [T.impact] },
  T1525: { name: 'Implant Internal Image', tactics: [T.persistence] },
  T1526: { name: 'Cloud Service Discovery', tactics: [T.discovery] },
  T1530: { name: 'Data from Cloud Storage', tactics: [T.collection] },
  T1531: { name: 'Account Access Removal', tactics: [T.impact] },
  T1535: { name: 'Unused/Unsupported Cloud Regions', tactics: [T.defenseEvasion] },
  T1537: { name: 'Transfer Data to Cloud Account', tactics: [T.exfiltration] },
  T1567: { name: 'Exfiltration Over Web Service', tactics: [T.exfiltration] },
  'T1567.002': { name: 'Exfiltration to Cloud Storage', tactics: [T.exfiltration] },
  'T1578.002': { name: 'Create Cloud Instance', tactics: [T.defenseEvasion] },
  T1548: { name: 'Abuse Elevation Control Mechanism', tactics: [T.privilegeEscalation, T.defenseEvasion] },
  'T1548.005': { name: 'Temporary Elevated Cloud Access', tactics: [T.privilegeEscalation, T.defenseEvasion] },
  T1555: { name: 'Credentials from Password Stores', tactics: [T.credentialAccess] },
  'T1555.006': { name: 'Cloud Secrets Management Stores', tactics: [T.credentialAccess] },
  T1556: {
    name: 'Modify Authentication Process',
    tactics: [T.credentialAccess, T.defenseEvasion, T.persistence],
  },
  'T1556.006': { name: 'Multi-Factor Authentication', tactics: [T.credentialAccess, T.defenseEvasion, T.persistence] },
  'T1556.007': { name: 'Hybrid Identity', tactics: [T.credentialAccess, T.defenseEvasion, T.persistence] },
  T1195: { name: 'Supply Chain Compromise', tactics: [T.initialAccess] },
  T1484: { name: 'Domain or Tenant Policy Modification', tactics: [T.defenseEvasion, T.privilegeEscalation] },
  'T1484.002': { name: 'Trust Modification', tactics: [T.defenseEvasion, T.privilegeEscalation] },
  'T1550.001': { name: 'Application Access Token', tactics: [T.defenseEvasion, T.lateralMovement] },
  T1566: { name: 'Phishing', tactics: [T.initialAccess] },
  T1562: { name: 'Impair Defenses', tactics: [T.defenseEvasion] },
  'T1562.001': { name: 'Disable or Modify Tools', tactics: [T.defenseEvasion] },
  'T1562.007': { name: 'Disable or Modify Cloud Firewall', tactics: [T.defenseEvasion] },
  'T1562.008': { name: 'Disable or Modify Cloud Logs', tactics: [T.defenseEvasion] },
  T1580: { name: 'Cloud Infrastructure Discovery', tactics: [T.discovery] },
  T1599: { name: 'Network Boundary Bridging', tactics: [T.defenseEvasion] },
  T1621: { name: 'Multi-Factor Authentication Request Generation', tactics: [T.credentialAccess] },
  T1648: { name: 'Serverless Execution', tactics: [T.execution] },
  T1651: { name: 'Cloud Administration Command', tactics: [T.execution] },
  T1666: { name: 'Modify Cloud Resource Hierarchy', tactics: [T.defenseEvasion] },
};

/** `T1562.008` → its parent `T1562`; a technique is its own parent. */
export const parentTechnique = (uid: string): string => uid.split('.')[0] ?? uid;

/** What ATT&CK says of a technique id, or undefined for one this table does not know. */
export const techniqueOf = (uid: string): MitreTechnique | undefined =>
  Object.hasOwn(TECHNIQUES, uid) ? TECHNIQUES[uid] : undefined;

/** Every tactic of a list of techniques, once each, in first-seen order. */
export const tacticsOf = (uids: readonly string[]): MitreTactic[] => {
  const seen = new Map<string, MitreTactic>();
  for (const uid of uids) for (const t of techniqueOf(uid)?.tactics ?? []) if (!seen.has(t.uid)) seen.set(t.uid, t);
  return [...seen.values()];
};
