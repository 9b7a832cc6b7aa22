import type { HealthObservation, Where } from '../../../rules/core/health.ts';
import type { RecorderStatusSource } from '../../../rules/core/ports.ts';
import { checkFailure } from './check-errors.ts';

/** The part of `DescribeConfigurationRecorderStatus`'s output the check reads (same field names as the API). */
export interface RecorderStatusOutput {
  readonly ConfigurationRecordersStatus?: readonly {
    readonly name?: string;
    readonly recording?: boolean;
    readonly lastStatus?: string;
    readonly lastErrorCode?: string;
    readonly lastErrorMessage?: string;
  }[];
}

/**
 * The call itself, so the adapter does not depend on a client package: `@aws-sdk/client-config-service` has no
 * release at the version the other clients are pinned to, so the Lambda wires this once it can be installed.
 */
export type DescribeRecorderStatus = () => Promise<RecorderStatusOutput>;

/** Every recorder of the region; none at all means AWS Config is not set up, which is reported too. */
export const createConfigRecorderStatusSource = (
  describe: DescribeRecorderStatus,
  home: Where,
): RecorderStatusSource => ({
  observe: async (): Promise<readonly HealthObservation[]> => {
    let out: RecorderStatusOutput;
    try {
      out = await describe();
    } catch (err) {
      return [checkFailure(home, 'config:DescribeConfigurationRecorderStatus', 'configuration-recorders', err)];
    }
    const recorders = out.ConfigurationRecordersStatus ?? [];
    if (recorders.length === 0) {
      return [{ kind: 'recorder', ...home, recorder: '(none)', recording: false, lastStatus: 'NO_RECORDER' }];
    }
    return recorders.map((r) => ({
      kind: 'recorder' as const,
      ...home,
      recorder: r.name ?? 'default',
      recording: r.recording === true,
      ...(r.lastStatus ? { lastStatus: r.lastStatus } : {}),
      ...(r.lastErrorCode ? { lastErrorCode: r.lastErrorCode } : {}),
      ...(r.lastErrorMessage ? { lastErrorMessage: r.lastErrorMessage } : {}),
    }));
  },
});
