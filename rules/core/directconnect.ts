import { partitionOf, regionalArn, resourceArn } from './arn.ts';
import type { CloudTrailRecord } from './cloudtrail.ts';
import { accountOf, stringParam } from './cloudtrail.ts';

/**
 * The Direct Connect resources a call names, request first, then the answer (a CreateConnection names its
 * connection only in the answer): connections (`dxcon-…`), LAGs (`dxlag-…`), virtual interfaces (`dxvif-…`) and
 * Direct Connect gateways, which are global, so their ARN has no region.
 */
export const directConnectArns = (e: CloudTrailRecord): string[] => {
  const named = (key: string): string | undefined =>
    stringParam(e.requestParameters, key) ?? stringParam(e.responseElements, key);
  const regional = (
    [
      ['connectionId', 'dxcon'],
      ['lagId', 'dxlag'],
      ['virtualInterfaceId', 'dxvif'],
    ] as const
  ).flatMap(([key, type]) => {
    const id = named(key);
    return id === undefined ? [] : [resourceArn(e, 'directconnect', `${type}/${id}`)];
  });
  const gateway = named('directConnectGatewayId');
  return [
    ...regional,
    ...(gateway === undefined
      ? []
      : [regionalArn(partitionOf(e.awsRegion), 'directconnect', '', accountOf(e), `dx-gateway/${gateway}`)]),
  ];
};
