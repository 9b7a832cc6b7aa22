import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * The drill key, read from the Secrets Manager secret the stack creates (readable by the evaluate function and
 * the drill operators only). A secret without a string value is an error, never an empty key.
 */
export const createSecretsManagerDrillKey =
  (client: SecretsManagerClient, secretId: string) => async (): Promise<string> => {
    // Loaded on the first drill claim: a static import here lands at the top of the evaluate bundle (esbuild
    // inlines the dynamically imported adapter) and doubles every cold start.
    const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (typeof out.SecretString !== 'string' || out.SecretString === '') {
      throw new Error(`drill key secret ${secretId} has no string value`);
    }
    return out.SecretString;
  };
