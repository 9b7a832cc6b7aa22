import type { CloudTrailClient, GetEventSelectorsCommandOutput } from '@aws-sdk/client-cloudtrail';
import { DescribeTrailsCommand, GetEventSelectorsCommand, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
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

/**
 * With no trails configured: every trail this region can see, by ARN (`DescribeTrails` with shadow trails, so
 * multi-region and organisation trails created elsewhere are included), each once.
 */
const discoverTrails = async (client: CloudTrailClient): Promise<string[]> => {
  const out = await client.send(new DescribeTrailsCommand({ includeShadowTrails: true }));
  const arns = (out.trailList ?? []).map((t) => t.TrailARN).filter((arn): arn is string => typeof arn === 'string');
  return [...new Set(arns)].sort();
};

/**
 * GetTrailStatus + GetEventSelectors for each configured trail; failures become `check-failed`. Configured
 * trails win; none configured: the trails `DescribeTrails` finds, and none found at all is reported (nothing
 * logs, or the function cannot see it).
 */
export const createCloudTrailStatusSource = (
  client: CloudTrailClient,
  configured: readonly string[],
  home: Where,
): TrailStatusSource => ({
  observe: async () => {
    let trails = configured;
    if (trails.length === 0) {
      try {
        trails = await discoverTrails(client);
      } catch (err) {
        return [checkFailure(home, 'cloudtrail:DescribeTrails', 'trails', err)];
      }
      if (trails.length === 0) {
        return [
          {
            kind: 'check-failed',
            ...home,
            check: 'cloudtrail:DescribeTrails',
            target: 'trails',
            errorCode: 'NoTrail',
            message:
              'no trail is configured and DescribeTrails (shadow trails included) found none: nothing is logged here',
          },
        ];
      }
    }
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
