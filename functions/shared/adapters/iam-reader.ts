import type { IAMClient } from '@aws-sdk/client-iam';
import {
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListPolicyTagsCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  ListUserTagsCommand,
} from '@aws-sdk/client-iam';
import type {
  GroupState,
  InlinePolicyState,
  ManagedPolicyState,
  PrincipalRead,
  PrincipalState,
  Tags,
} from '../../../rules/core/elevated-access.ts';
import type { IamStateReader } from '../../../rules/core/ports.ts';
import { mapLimit } from './dynamodb-keys.ts';

/**
 * The elevated-access check's view of IAM: read-only calls only (the function's role allows nothing else),
 * every listing paginated, at most `concurrency` principals read at once, throttling retried with backoff.
 * A principal any of whose calls fails for another reason is returned as unreadable (never as "no grants").
 * Managed policies and groups are read once per run however many principals share them.
 * Service-linked roles (path `/aws-service-role/`) are skipped: nobody can attach a policy to them.
 */
export interface IamReaderOptions {
  readonly concurrency?: number;
  /** Attempts per call when IAM throttles (default 6). */
  readonly attempts?: number;
  /** Backoff between throttled attempts (default: real sleep). Tests pass a no-op. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded']);

const isThrottle = (err: unknown): boolean => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return (e?.name !== undefined && THROTTLED.has(e.name)) || e?.$metadata?.httpStatusCode === 429;
};

const describe = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

const tagsOf = (list: readonly { Key?: string; Value?: string }[] | undefined): Record<string, string> =>
  Object.fromEntries((list ?? []).flatMap((t) => (t.Key === undefined ? [] : [[t.Key, t.Value ?? '']])));

/** The IAM API returns policy documents URL-encoded; rules/core/iam-policy.ts reads that form too. */
const decodeDocument = (raw: string | undefined): unknown => {
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
};

const isAwsManaged = (arn: string): boolean => /^arn:[^:]+:iam::aws:policy\//.test(arn);

export const createIamReader = (client: IAMClient, options: IamReaderOptions = {}): IamStateReader => {
  const concurrency = options.concurrency ?? 4;
  const attempts = options.attempts ?? 6;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!isThrottle(err) || attempt >= attempts) throw err;
        await sleep(Math.min(20_000, 200 * 2 ** attempt) * (0.5 + Math.random() / 2));
      }
    }
  };

  /** Every page of a Marker-paginated IAM listing. */
  const pages = async <T>(
    fetch: (marker: string | undefined) => Promise<{ items: readonly T[]; marker?: string; truncated?: boolean }>,
  ): Promise<T[]> => {
    const out: T[] = [];
    let marker: string | undefined;
    do {
      const page = await call(() => fetch(marker));
      out.push(...page.items);
      marker = page.truncated === true ? page.marker : undefined;
    } while (marker !== undefined);
    return out;
  };

  const readPolicy = async (arn: string, name: string): Promise<ManagedPolicyState> => {
    const policy = (await call(() => client.send(new GetPolicyCommand({ PolicyArn: arn })))).Policy;
    const versionId = policy?.DefaultVersionId;
    if (versionId === undefined) throw new Error(`GetPolicy ${arn}: no DefaultVersionId`);
    const version = await call(() =>
      client.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId })),
    );
    // AWS managed policies carry no customer tags (and ListPolicyTags refuses them).
    const tags: Tags = isAwsManaged(arn)
      ? {}
      : tagsOf(
          await pages(async (Marker) => {
            const out = await client.send(new ListPolicyTagsCommand({ PolicyArn: arn, ...(Marker ? { Marker } : {}) }));
            return { items: out.Tags ?? [], marker: out.Marker, truncated: out.IsTruncated };
          }),
        );
    return { arn, name, document: decodeDocument(version.PolicyVersion?.Document), tags };
  };

  const attached = async (
    list: (Marker: string | undefined) => Promise<{
      AttachedPolicies?: { PolicyArn?: string; PolicyName?: string }[];
      Marker?: string;
      IsTruncated?: boolean;
    }>,
    policies: Map<string, Promise<ManagedPolicyState>>,
  ): Promise<ManagedPolicyState[]> => {
    const refs = await pages(async (marker) => {
      const out = await list(marker);
      return { items: out.AttachedPolicies ?? [], marker: out.Marker, truncated: out.IsTruncated };
    });
    return Promise.all(
      refs.flatMap((r) => {
        if (r.PolicyArn === undefined) return [];
        const arn = r.PolicyArn;
        let p = policies.get(arn);
        if (p === undefined) {
          p = readPolicy(arn, r.PolicyName ?? arn);
          policies.set(arn, p);
        }
        return [p];
      }),
    );
  };

  const inlines = async (
    names: (Marker: string | undefined) => Promise<{ PolicyNames?: string[]; Marker?: string; IsTruncated?: boolean }>,
    get: (name: string) => Promise<{ PolicyDocument?: string }>,
  ): Promise<InlinePolicyState[]> => {
    const list = await pages(async (marker) => {
      const out = await names(marker);
      return { items: out.PolicyNames ?? [], marker: out.Marker, truncated: out.IsTruncated };
    });
    const out: InlinePolicyState[] = [];
    for (const name of list) {
      const doc = await call(() => get(name));
      out.push({ name, document: decodeDocument(doc.PolicyDocument) });
    }
    return out;
  };

  const m = (Marker: string | undefined) => (Marker ? { Marker } : {});

  const readGroup = (name: string, arn: string, policies: Map<string, Promise<ManagedPolicyState>>) =>
    (async (): Promise<GroupState> => ({
      name,
      arn,
      managed: await attached(
        (Marker) => client.send(new ListAttachedGroupPoliciesCommand({ GroupName: name, ...m(Marker) })),
        policies,
      ),
      inline: await inlines(
        (Marker) => client.send(new ListGroupPoliciesCommand({ GroupName: name, ...m(Marker) })),
        (PolicyName) => client.send(new GetGroupPolicyCommand({ GroupName: name, PolicyName })),
      ),
    }))();

  const readUser = async (
    name: string,
    arn: string,
    policies: Map<string, Promise<ManagedPolicyState>>,
    groups: Map<string, Promise<GroupState>>,
  ): Promise<PrincipalState> => {
    const tags = tagsOf(
      await pages(async (Marker) => {
        const out = await client.send(new ListUserTagsCommand({ UserName: name, ...m(Marker) }));
        return { items: out.Tags ?? [], marker: out.Marker, truncated: out.IsTruncated };
      }),
    );
    const managed = await attached(
      (Marker) => client.send(new ListAttachedUserPoliciesCommand({ UserName: name, ...m(Marker) })),
      policies,
    );
    const inline = await inlines(
      (Marker) => client.send(new ListUserPoliciesCommand({ UserName: name, ...m(Marker) })),
      (PolicyName) => client.send(new GetUserPolicyCommand({ UserName: name, PolicyName })),
    );
    const memberOf = await pages(async (Marker) => {
      const out = await client.send(new ListGroupsForUserCommand({ UserName: name, ...m(Marker) }));
      return { items: out.Groups ?? [], marker: out.Marker, truncated: out.IsTruncated };
    });
    const groupStates = await Promise.all(
      memberOf.flatMap((g) => {
        if (g.GroupName === undefined) return [];
        let state = groups.get(g.GroupName);
        if (state === undefined) {
          state = readGroup(g.GroupName, g.Arn ?? g.GroupName, policies);
          groups.set(g.GroupName, state);
        }
        return [state];
      }),
    );
    return { arn, type: 'user', name, tags, managed, inline, groups: groupStates };
  };

  const readRole = async (
    name: string,
    arn: string,
    policies: Map<string, Promise<ManagedPolicyState>>,
  ): Promise<PrincipalState> => {
    const tags = tagsOf(
      await pages(async (Marker) => {
        const out = await client.send(new ListRoleTagsCommand({ RoleName: name, ...m(Marker) }));
        return { items: out.Tags ?? [], marker: out.Marker, truncated: out.IsTruncated };
      }),
    );
    const managed = await attached(
      (Marker) => client.send(new ListAttachedRolePoliciesCommand({ RoleName: name, ...m(Marker) })),
      policies,
    );
    const inline = await inlines(
      (Marker) => client.send(new ListRolePoliciesCommand({ RoleName: name, ...m(Marker) })),
      (PolicyName) => client.send(new GetRolePolicyCommand({ RoleName: name, PolicyName })),
    );
    return { arn, type: 'role', name, tags, managed, inline, groups: [] };
  };

  return {
    read: async () => {
      let users: { UserName?: string; Arn?: string }[];
      let roles: { RoleName?: string; Arn?: string; Path?: string }[];
      try {
        users = await pages(async (Marker) => {
          const out = await client.send(new ListUsersCommand(m(Marker)));
          return { items: out.Users ?? [], marker: out.Marker, truncated: out.IsTruncated };
        });
        roles = await pages(async (Marker) => {
          const out = await client.send(new ListRolesCommand(m(Marker)));
          return { items: out.Roles ?? [], marker: out.Marker, truncated: out.IsTruncated };
        });
      } catch (err) {
        return { ok: false, error: describe(err) };
      }
      const policies = new Map<string, Promise<ManagedPolicyState>>();
      const groups = new Map<string, Promise<GroupState>>();
      const work: { readonly arn: string; readonly read: () => Promise<PrincipalState> }[] = [
        ...users.flatMap((u) =>
          u.UserName === undefined || u.Arn === undefined
            ? []
            : [{ arn: u.Arn, read: () => readUser(u.UserName ?? '', u.Arn ?? '', policies, groups) }],
        ),
        ...roles.flatMap((r) =>
          r.RoleName === undefined || r.Arn === undefined || (r.Path ?? '').startsWith('/aws-service-role/')
            ? []
            : [{ arn: r.Arn, read: () => readRole(r.RoleName ?? '', r.Arn ?? '', policies) }],
        ),
      ];
      const principals = await mapLimit(work, concurrency, async (w): Promise<PrincipalRead> => {
        try {
          return { ok: true, principal: await w.read() };
        } catch (err) {
          return { ok: false, arn: w.arn, error: describe(err) };
        }
      });
      return { ok: true, principals };
    },
  };
};
