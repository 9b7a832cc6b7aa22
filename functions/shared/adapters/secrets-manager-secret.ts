import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { SecretSource } from '../../triage/webhook.ts';

/**
 * The PagerDuty signing secret from Secrets Manager, read once per container and cached. The secret string is
 * the secret itself, or `{"secrets": ["…", "…"]}` while a rotation has two subscriptions signing.
 */
export const createSecretsManagerSecret = (client: SecretsManagerClient, secretId: string): SecretSource => {
  let cached: Promise<readonly string[]> | undefined;
  const load = async (): Promise<readonly string[]> => {
    const got = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    const text = got.SecretString ?? '';
    if (text.trim().startsWith('{')) {
      const parsed = JSON.parse(text) as { secrets?: unknown };
      if (Array.isArray(parsed.secrets) && parsed.secrets.every((s) => typeof s === 'string' && s !== '')) {
        return parsed.secrets as string[];
      }
      throw new Error(`secret ${secretId}: expected a string or {"secrets": [...]}`);
    }
    if (text === '')
      throw new Error(`secret ${secretId} is empty: put the PagerDuty subscription's signing secret in it`);
    return [text];
  };
  return {
    secrets: () => {
      // A failed read is not cached: the next request tries again.
      cached ??= load().catch((err: unknown) => {
        cached = undefined;
        throw err;
      });
      return cached;
    },
  };
};
