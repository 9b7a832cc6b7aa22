import type { CloudTrailClient, GetEventSelectorsCommandOutput } from '@aws-sdk/client-cloudtrail';
import { GetEventSelectorsCommand, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import type { HealthObservation, TrailObservation, Where } from '../../../rules/core/health.ts';
import type { TrailStatusSource } from '../../../rules/core/ports.ts';
import { checkFailure } from './check-errors.ts';

/** `arn:aws:cloudtrail:<region>:<account>:trail/<name>` → its account and region. */
const whereOfArn = (arn: string | undefined): Where | undefined => {
  const m = /^arn:[^:]+:cloudtrail:([^:]+):(\d{12}):trail\//.exec(arn ?? '');
  return m?.[1] && m[2] ? { region: m[1], account: m[2] } : undefined;
};

/**
 * Management events are recorded if a basic selector includes them (the default when unset), or an advanced
 * selector selects `eventCategory = Management`.
 */
export const managementEventsSelected = (out: GetEventSelectorsCommandOutput): boolean =>
  (out.EventSelectors ?? []).some((s) => s.IncludeManagementEvents !== false) ||
  (out.AdvancedEventSelectors ?? []).some((s) =>
    (s.FieldSelectors ?? []).some((f) => f.Field === 'eventCategory' && (f.Equals ?? []).includes('Management')),
  );

/** GetTrailStatus + GetEventSelectors for each configured trail; failures become `check-failed`. */
export const createCloudTrailStatusSource = (
  client: CloudTrailClient,
  trails: readonly string[],
  home: Where,
): TrailStatusSource => ({
  observe: async () => {
    const perTrail = await Promise.all(
      trails.map(async (trail): Promise<HealthObservation[]> => {
        const where = whereOfArn(trail) ?? home;
        const [status, selectors] = await Promise.allSettled([
          client.send(new GetTrailStatusCommand({ Name: trail })),
          client.send(new GetEventSelectorsCommand({ TrailName: trail })),
        ]);
        const out: HealthObservation[] = [];
        const selected = selectors.status === 'fulfilled' ? managementEventsSelected(selectors.value) : undefined;
        const at = selectors.status === 'fulfilled' ? (whereOfArn(selectors.value.TrailARN) ?? where) : where;
        if (selectors.status === 'rejected') {
          out.push(checkFailure(at, 'cloudtrail:GetEventSelectors', trail, selectors.reason));
        }
        if (status.status === 'rejected') {
          out.push(checkFailure(at, 'cloudtrail:GetTrailStatus', trail, status.reason));
          // The selectors are still known: a trail that dropped management events is reported either way.
          if (selected === false)
            out.push({ kind: 'trail', trail, ...at, isLogging: true, managementEventsSelected: false });
          return out;
        }
        const s = status.value;
        const observation: TrailObservation = {
          kind: 'trail',
          trail,
          ...at,
          isLogging: s.IsLogging === true,
          ...(s.LatestDeliveryTime ? { latestDeliveryTimeMs: s.LatestDeliveryTime.getTime() } : {}),
          ...(s.LatestDeliveryError ? { latestDeliveryError: s.LatestDeliveryError } : {}),
          ...(selected === undefined ? {} : { managementEventsSelected: selected }),
        };
        return [...out, observation];
      }),
    );
    return perTrail.flat();
  },
});
