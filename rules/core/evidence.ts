import { createHash } from 'node:crypto';
import type { Finding } from './finding.ts';

/** Hive-style key so Athena can partition by day (DESIGN §4). Shared by the evaluate Lambda and the CLI. */
export const evidenceKey = (finding: Finding): string =>
  `findings/dt=${finding.firstSeen.slice(0, 10)}/${finding.severity}/${finding.id}.json`;

/** The exact bytes archived; the digest chain hashes these bytes. */
export const evidenceBody = (finding: Finding): string => `${JSON.stringify(finding, null, 2)}\n`;

export const sha256 = (body: string | Uint8Array) => {
  const digest = createHash('sha256').update(body).digest();
  return { hex: digest.toString('hex'), base64: digest.toString('base64') };
};
