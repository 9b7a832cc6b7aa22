import type { DetectionConfig } from '../../rules/core/config.ts';
import { parseDetectionConfig } from '../../rules/core/config.ts';

export interface EvaluateEnv {
  readonly tableName: string;
  readonly topicArn: string;
  readonly evidenceBucket: string;
  readonly detection: DetectionConfig;
}

/** Parsed once per container; a misconfigured function fails at init, loudly, not per event. */
export const parseEvaluateEnv = (env: Readonly<Record<string, string | undefined>>): EvaluateEnv => {
  const need = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '') throw new Error(`environment variable ${name} is required`);
    return value;
  };
  let raw: unknown;
  try {
    raw = env.DETECTION_CONFIG ? JSON.parse(env.DETECTION_CONFIG) : undefined;
  } catch (err) {
    throw new Error(`DETECTION_CONFIG is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const detection = parseDetectionConfig(raw, 'DETECTION_CONFIG');
  if (!detection.ok) throw new Error(`invalid DETECTION_CONFIG:\n${detection.errors.join('\n')}`);
  return {
    tableName: need('TABLE_NAME'),
    topicArn: need('TOPIC_ARN'),
    evidenceBucket: need('EVIDENCE_BUCKET'),
    detection: detection.config,
  };
};
