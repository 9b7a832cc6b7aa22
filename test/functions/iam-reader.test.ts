import {
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  IAMClient,
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
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIamReader } from '../../functions/shared/adapters/iam-reader.ts';
import type { PrincipalRead } from '../../rules/core/elevated-access.ts';

const ACCOUNT = '111122223333';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const BOB = `arn:aws:iam::${ACCOUNT}:user/bob`;
const OPS = `arn:aws:iam::${ACCOUNT}:role/ops`;
const SLR = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport`;
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const TEMP = `arn:aws:iam::${ACCOUNT}:policy/temp-admin`;
const ADMIN_DOC = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}';
const enc = encodeURIComponent;

const iam = mockClient(IAMClient);
afterEach(() => iam.reset());

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });
const reader = () => createIamReader(new IAMClient({ region: 'us-east-1' }), { sleep: async () => {}, concurrency: 2 });
const principal = (reads: readonly PrincipalRead[], arn: string) =>
  reads.find((r) => (r.ok ? r.principal.arn : r.arn) === arn);

/** An account: alice (two pages of users, then bob), alice in group admins; role ops; a service-linked role. */
const account = () => {
  iam.on(ListUsersCommand).resolves({ Users: [], IsTruncated: false });
  iam
    .on(ListUsersCommand, {})
    .resolves({
      Users: [{ UserName: 'alice', Arn: ALICE, Path: '/', UserId: 'A', CreateDate: new Date() }],
      IsTruncated: true,
      Marker: 'm1',
    })
    .on(ListUsersCommand, { Marker: 'm1' })
    .resolves({ Users: [{ UserName: 'bob', Arn: BOB, Path: '/', UserId: 'B', CreateDate: new Date() }] });
  iam.on(ListRolesCommand).resolves({
    Roles: [
      { RoleName: 'ops', Arn: OPS, Path: '/', RoleId: 'R', CreateDate: new Date() },
      {
        RoleName: 'AWSServiceRoleForSupport',
        Arn: SLR,
        Path: '/aws-service-role/support.amazonaws.com/',
        RoleId: 'S',
        CreateDate: new Date(),
      },
    ],
  });
  iam.on(ListUserTagsCommand).resolves({ Tags: [] });
  iam.on(ListUserTagsCommand, { UserName: 'alice' }).resolves({ Tags: [{ Key: 'expires', Value: '2026-12-01' }] });
  iam.on(ListRoleTagsCommand).resolves({ Tags: [] });
  iam
    .on(ListAttachedUserPoliciesCommand, { UserName: 'alice' })
    .resolves({
      AttachedPolicies: [{ PolicyName: 'AdministratorAccess', PolicyArn: ADMIN }],
      IsTruncated: true,
      Marker: 'p2',
    })
    .on(ListAttachedUserPoliciesCommand, { UserName: 'alice', Marker: 'p2' })
    .resolves({ AttachedPolicies: [{ PolicyName: 'temp-admin', PolicyArn: TEMP }] })
    .on(ListAttachedUserPoliciesCommand, { UserName: 'bob' })
    .resolves({ AttachedPolicies: [{ PolicyName: 'temp-admin', PolicyArn: TEMP }] });
  iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
  iam.on(ListUserPoliciesCommand).resolves({ PolicyNames: [] });
  iam.on(ListUserPoliciesCommand, { UserName: 'bob' }).resolves({ PolicyNames: ['break-glass'] });
  iam.on(GetUserPolicyCommand).resolves({ PolicyDocument: enc(ADMIN_DOC) });
  iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['emergency'] });
  iam.on(GetRolePolicyCommand).resolves({ PolicyDocument: enc(ADMIN_DOC) });
  iam.on(ListGroupsForUserCommand).resolves({ Groups: [] });
  iam.on(ListGroupsForUserCommand, { UserName: 'alice' }).resolves({
    Groups: [
      {
        GroupName: 'admins',
        Arn: `arn:aws:iam::${ACCOUNT}:group/admins`,
        Path: '/',
        GroupId: 'G',
        CreateDate: new Date(),
      },
    ],
  });
  iam
    .on(ListAttachedGroupPoliciesCommand)
    .resolves({ AttachedPolicies: [{ PolicyName: 'temp-admin', PolicyArn: TEMP }] });
  iam.on(ListGroupPoliciesCommand).resolves({ PolicyNames: ['iam-all'] });
  iam.on(GetGroupPolicyCommand).resolves({ PolicyDocument: enc(ADMIN_DOC) });
  iam
    .on(GetPolicyCommand, { PolicyArn: ADMIN })
    .resolves({ Policy: { Arn: ADMIN, DefaultVersionId: 'v7' } })
    .on(GetPolicyCommand, { PolicyArn: TEMP })
    .resolves({ Policy: { Arn: TEMP, DefaultVersionId: 'v2' } });
  iam.on(GetPolicyVersionCommand).resolves({ PolicyVersion: { Document: enc(ADMIN_DOC) } });
  iam
    .on(ListPolicyTagsCommand, { PolicyArn: TEMP })
    .resolves({ Tags: [{ Key: 'trailwarden:expires', Value: '2026-12-02' }] });
};

describe('createIamReader', () => {
  beforeEach(account);

  it('reads every user and role, paginated, with exact inputs, and skips service-linked roles', async () => {
    const out = await reader().read();
    if (!out.ok) throw new Error(out.error);
    expect(iam.commandCalls(ListUsersCommand).map((c) => c.args[0].input)).toEqual([{}, { Marker: 'm1' }]);
    expect(iam.commandCalls(ListRolesCommand).map((c) => c.args[0].input)).toEqual([{}]);
    expect(out.principals.map((p) => (p.ok ? p.principal.arn : p.arn))).toEqual([ALICE, BOB, OPS]);
    expect(iam.commandCalls(ListRoleTagsCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: 'ops' }]);
    expect(iam.commandCalls(ListAttachedUserPoliciesCommand).map((c) => c.args[0].input)).toEqual(
      expect.arrayContaining([{ UserName: 'alice' }, { UserName: 'alice', Marker: 'p2' }, { UserName: 'bob' }]),
    );
    expect(iam.commandCalls(GetUserPolicyCommand).map((c) => c.args[0].input)).toEqual([
      { UserName: 'bob', PolicyName: 'break-glass' },
    ]);
    expect(iam.commandCalls(GetRolePolicyCommand).map((c) => c.args[0].input)).toEqual([
      { RoleName: 'ops', PolicyName: 'emergency' },
    ]);
    expect(iam.commandCalls(GetGroupPolicyCommand).map((c) => c.args[0].input)).toEqual([
      { GroupName: 'admins', PolicyName: 'iam-all' },
    ]);
    expect(iam.commandCalls(GetPolicyVersionCommand).map((c) => c.args[0].input)).toEqual(
      expect.arrayContaining([
        { PolicyArn: ADMIN, VersionId: 'v7' },
        { PolicyArn: TEMP, VersionId: 'v2' },
      ]),
    );
    // Each managed policy read once however many principals hold it; AWS managed ones have no tags to list.
    expect(iam.commandCalls(GetPolicyCommand)).toHaveLength(2);
    expect(iam.commandCalls(ListPolicyTagsCommand).map((c) => c.args[0].input)).toEqual([{ PolicyArn: TEMP }]);
    expect(iam.commandCalls(ListAttachedGroupPoliciesCommand).map((c) => c.args[0].input)).toEqual([
      { GroupName: 'admins' },
    ]);

    const alice = principal(out.principals, ALICE);
    expect(alice).toEqual({
      ok: true,
      principal: {
        arn: ALICE,
        type: 'user',
        name: 'alice',
        tags: { expires: '2026-12-01' },
        managed: [
          { arn: ADMIN, name: 'AdministratorAccess', document: ADMIN_DOC, tags: {} },
          { arn: TEMP, name: 'temp-admin', document: ADMIN_DOC, tags: { 'trailwarden:expires': '2026-12-02' } },
        ],
        inline: [],
        groups: [
          {
            name: 'admins',
            arn: `arn:aws:iam::${ACCOUNT}:group/admins`,
            managed: [
              { arn: TEMP, name: 'temp-admin', document: ADMIN_DOC, tags: { 'trailwarden:expires': '2026-12-02' } },
            ],
            inline: [{ name: 'iam-all', document: ADMIN_DOC }],
          },
        ],
      },
    });
  });

  it('retries throttling and then succeeds', async () => {
    iam
      .on(ListRoleTagsCommand, { RoleName: 'ops' })
      .rejectsOnce(awsError('Throttling', 'Rate exceeded'))
      .rejectsOnce(awsError('Throttling', 'Rate exceeded'))
      .resolves({ Tags: [{ Key: 'expires', Value: '2026-12-03' }] });
    const out = await reader().read();
    if (!out.ok) throw new Error(out.error);
    expect(iam.commandCalls(ListRoleTagsCommand)).toHaveLength(3);
    const ops = principal(out.principals, OPS);
    expect(ops?.ok && ops.principal.tags).toEqual({ expires: '2026-12-03' });
  });

  it('a principal that cannot be read is reported unreadable, the others are still read', async () => {
    iam
      .on(ListAttachedRolePoliciesCommand, { RoleName: 'ops' })
      .rejects(awsError('AccessDenied', 'not authorized to perform iam:ListAttachedRolePolicies'));
    const out = await reader().read();
    if (!out.ok) throw new Error(out.error);
    expect(principal(out.principals, OPS)).toEqual({
      ok: false,
      arn: OPS,
      error: 'AccessDenied: not authorized to perform iam:ListAttachedRolePolicies',
    });
    expect(principal(out.principals, ALICE)?.ok).toBe(true);
  });

  it('throttling that never ends makes the principal unreadable, not empty', async () => {
    iam.on(ListUserTagsCommand, { UserName: 'bob' }).rejects(awsError('Throttling', 'Rate exceeded'));
    const out = await reader().read();
    if (!out.ok) throw new Error(out.error);
    expect(principal(out.principals, BOB)).toEqual({ ok: false, arn: BOB, error: 'Throttling: Rate exceeded' });
    expect(iam.commandCalls(ListUserTagsCommand, { UserName: 'bob' })).toHaveLength(6);
  });

  it('an account whose principals cannot be listed is not ok', async () => {
    iam.on(ListRolesCommand).rejects(awsError('AccessDenied', 'no iam:ListRoles'));
    expect(await reader().read()).toEqual({ ok: false, error: 'AccessDenied: no iam:ListRoles' });
  });
});
