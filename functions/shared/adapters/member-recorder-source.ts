import type { HealthObservation } from '../../../rules/core/health.ts';
import type { OrgAccount } from '../../../rules/core/org-health.ts';
import { checkFailure } from './check-errors.ts';
import type { DescribeRecorderStatus } from './config-recorder-status-source.ts';
import { createConfigRecorderStatusSource } from './config-recorder-status-source.ts';

/** Temporary credentials of the reader role in one member account. */
export interface MemberCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

export interface MemberRecorderDeps {
  /** sts:AssumeRole on the member's reader role (`arn:<partition>:iam::<account>:role/<name>`). */
  readonly assume: (roleArn: string) => Promise<MemberCredentials>;
  /** DescribeConfigurationRecorderStatus in a region with the member's credentials. */
  readonly describe: (credentials: MemberCredentials, region: string) => ReturnType<DescribeRecorderStatus>;
  readonly roleName: string;
  readonly partition: string;
  readonly regions: readonly string[];
  /** The pipeline account: its own recorder is checked directly, without a role. */
  readonly homeAccount: string;
  /** Accounts checked at once (default 8): 60 s of Lambda for hundreds of accounts. */
  readonly concurrency?: number;
}

/**
 * AWS Config recorder status of every active member account in every approved region, through the read-only
 * role the StackSet creates in each member. A role that cannot be assumed is a `check-failed` per region:
 * the recorder's state there is unknown, never healthy.
 */
export const createMemberRecorderSource = (deps: MemberRecorderDeps) => ({
  observe: async (accounts: readonly OrgAccount[]): Promise<readonly HealthObservation[]> => {
    const members = accounts.filter((a) => a.status === 'ACTIVE' && a.id !== deps.homeAccount);
    const out: HealthObservation[] = [];
    const one = async (account: OrgAccount) => {
      const roleArn = `arn:${deps.partition}:iam::${account.id}:role/${deps.roleName}`;
      let credentials: MemberCredentials;
      try {
        credentials = await deps.assume(roleArn);
      } catch (err) {
        for (const region of deps.regions)
          out.push(checkFailure({ account: account.id, region }, 'sts:AssumeRole', roleArn, err));
        return;
      }
      for (const region of deps.regions) {
        const source = createConfigRecorderStatusSource(() => deps.describe(credentials, region), {
          account: account.id,
          region,
        });
        out.push(...(await source.observe()));
      }
    };
    const queue = [...members];
    const workers = Array.from({ length: Math.min(deps.concurrency ?? 8, queue.length) }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) await one(next);
    });
    await Promise.all(workers);
    return out;
  },
});
