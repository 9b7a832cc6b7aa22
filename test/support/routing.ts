import {
  API_CALL,
  CONFIG_COMPLIANCE_CHANGE,
  CONFIG_ITEM_CHANGE,
  CONSOLE_SIGN_IN,
  eventSourceOf,
  SERVICE_EVENT,
} from '../../infra/event-patterns.ts';
import type { EventSelector } from '../../rules/core/types.ts';
import { isCloudTrailSelector } from '../../rules/core/types.ts';

/**
 * Events as EventBridge delivers them, for routing proofs (the home routes, the us-east-1 forwarder, the
 * organisation's member forwarder): `matchesPattern` over these needs no AWS.
 */

const DETAIL_TYPE_OF_EVENT_TYPE: Record<string, string> = {
  AwsApiCall: API_CALL,
  AwsConsoleSignIn: CONSOLE_SIGN_IN,
  AwsServiceEvent: SERVICE_EVENT,
  AwsConsoleAction: 'AWS Console Action via CloudTrail',
};

/** How EventBridge delivers a CloudTrail record: the record is `detail`, detail-type follows eventType. */
export const cloudTrailEnvelope = (record: Record<string, unknown>) => ({
  version: '0',
  id: 'e-1',
  'detail-type': DETAIL_TYPE_OF_EVENT_TYPE[String(record.eventType ?? 'AwsApiCall')] ?? API_CALL,
  source: `aws.${String(record.eventSource ?? '').replace('.amazonaws.com', '')}`,
  account: '111122223333',
  time: '2026-11-02T10:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail: record,
});

export const configEnvelope = (detailType: string, detail: unknown) => ({
  version: '0',
  id: 'e-2',
  'detail-type': detailType,
  source: 'aws.config',
  account: '111122223333',
  time: '2026-11-02T10:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail,
});

/** One synthetic event per (service, event name, where) a selector asks for. */
export const syntheticEvents = (on: EventSelector): unknown[] => {
  if (!isCloudTrailSelector(on)) {
    if ('resourceTypes' in on) {
      return on.resourceTypes.map((resourceType) =>
        configEnvelope(CONFIG_ITEM_CHANGE, { configurationItem: { resourceType, resourceId: 'r-1' } }),
      );
    }
    return [
      configEnvelope(CONFIG_COMPLIANCE_CHANGE, {
        configRuleName: 'some-rule',
        newEvaluationResult: { complianceType: 'NON_COMPLIANT' },
      }),
    ];
  }
  const services = on.source === '*' ? ['s3', 'iam', 'signin'] : [on.source];
  const names = on.eventNames === '*' ? ['AnyEventAtAll', 'ListBuckets'] : on.eventNames;
  const identities = on.where?.userIdentityType ?? ['IAMUser'];
  const errorCodes: readonly (string | undefined)[] = on.where?.errorCode ?? [undefined];
  return services.flatMap((service) =>
    names.flatMap((eventName) =>
      identities.flatMap((type) =>
        errorCodes.map((errorCode) =>
          cloudTrailEnvelope({
            ...(on.where?.userAgentContains ? { userAgent: `tool/1.0 ${on.where.userAgentContains[0] ?? ''}` } : {}),
            eventVersion: '1.09',
            eventType: service === 'signin' ? 'AwsConsoleSignIn' : 'AwsApiCall',
            eventSource: eventSourceOf(service),
            eventName,
            userIdentity: { type },
            ...(errorCode ? { errorCode } : {}),
          }),
        ),
      ),
    ),
  );
};
