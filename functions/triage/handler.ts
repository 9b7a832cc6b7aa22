import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createS3TriageStore } from '../shared/adapters/s3-triage-store.ts';
import { createSecretsManagerSecret } from '../shared/adapters/secrets-manager-secret.ts';
import { createTelemetry } from '../shared/telemetry.ts';
import { createHandler, parseWebhookEnv, TRIAGE_SERVICE } from './webhook.ts';

/** Lambda entry point (function URL). Env is parsed and clients built at init, once per container. */
const env = parseWebhookEnv(process.env);
export const handler = createHandler({
  secret: createSecretsManagerSecret(new SecretsManagerClient({}), env.secretId),
  store: createS3TriageStore(new S3Client({}), env.evidenceBucket),
  clock: { now: () => Date.now() },
  telemetry: createTelemetry(TRIAGE_SERVICE),
  maxAgeSeconds: env.maxAgeSeconds,
  sla: env.sla,
});
