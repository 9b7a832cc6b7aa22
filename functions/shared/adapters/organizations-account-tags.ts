import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import { criticalityFromTags } from '../../../rules/core/account-criticality.ts';
import type { AccountCriticalitySource } from '../../../rules/core/ports.ts';

/** `organizations:ListTagsForResource` on the account id, every page; the `criticality` tag's level. */
export const createOrganizationsAccountCriticality = (client: OrganizationsClient): AccountCriticalitySource => ({
  criticalityOf: async (account) => {
    // Imported here, not at the top: esbuild hoists a module-level import of an external package to the top of
    // the evaluate bundle, which would load the client at cold start (test/functions/bundle.test.ts).
    const { ListTagsForResourceCommand } = await import('@aws-sdk/client-organizations');
    const tags: { Key?: string; Value?: string }[] = [];
    let next: string | undefined;
    do {
      const out = await client.send(
        new ListTagsForResourceCommand({ ResourceId: account, ...(next ? { NextToken: next } : {}) }),
      );
      tags.push(...(out.Tags ?? []));
      next = out.NextToken;
    } while (next);
    return criticalityFromTags(tags);
  },
});
