import type { Account, OrganizationsClient } from '@aws-sdk/client-organizations';
import {
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
} from '@aws-sdk/client-organizations';
import type { OrgAccount } from '../../../rules/core/org-health.ts';
import type { OrgAccountSource } from '../../../rules/core/ports.ts';

const toOrgAccount = (a: Account): OrgAccount | undefined =>
  a.Id === undefined
    ? undefined
    : {
        id: a.Id,
        ...(a.Name ? { name: a.Name } : {}),
        // `State` is the newer field (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED…); `Status` the older one.
        status: String(a.State ?? a.Status ?? 'UNKNOWN'),
        ...(a.JoinedTimestamp ? { joinedMs: a.JoinedTimestamp.getTime() } : {}),
      };

/** Every page of a paginated Organizations list. */
const allPages = async <T>(page: (next: string | undefined) => Promise<{ items: T[]; next?: string }>) => {
  const out: T[] = [];
  let next: string | undefined;
  do {
    const p = await page(next);
    out.push(...p.items);
    next = p.next;
  } while (next);
  return out;
};

/**
 * The accounts under the deployment targets: a root is the whole organisation (`ListAccounts`), an OU its
 * accounts and those of every OU below it (`ListAccountsForParent`, `ListOrganizationalUnitsForParent`).
 * Each account once, even when targets overlap.
 */
export const createOrganizationsAccountSource = (
  client: OrganizationsClient,
  targets: readonly string[],
): OrgAccountSource => ({
  accounts: async () => {
    const found = new Map<string, OrgAccount>();
    const add = (accounts: readonly Account[]) => {
      for (const a of accounts) {
        const account = toOrgAccount(a);
        if (account) found.set(account.id, account);
      }
    };
    const underOu = async (ou: string): Promise<void> => {
      add(
        await allPages(async (next) => {
          const out = await client.send(
            new ListAccountsForParentCommand({ ParentId: ou, ...(next ? { NextToken: next } : {}) }),
          );
          return { items: out.Accounts ?? [], ...(out.NextToken ? { next: out.NextToken } : {}) };
        }),
      );
      const children = await allPages(async (next) => {
        const out = await client.send(
          new ListOrganizationalUnitsForParentCommand({ ParentId: ou, ...(next ? { NextToken: next } : {}) }),
        );
        return { items: out.OrganizationalUnits ?? [], ...(out.NextToken ? { next: out.NextToken } : {}) };
      });
      for (const child of children) if (child.Id) await underOu(child.Id);
    };
    for (const target of targets) {
      if (target.startsWith('r-')) {
        add(
          await allPages(async (next) => {
            const out = await client.send(new ListAccountsCommand(next ? { NextToken: next } : {}));
            return { items: out.Accounts ?? [], ...(out.NextToken ? { next: out.NextToken } : {}) };
          }),
        );
      } else await underOu(target);
    }
    return [...found.values()].sort((a, b) => a.id.localeCompare(b.id));
  },
});
