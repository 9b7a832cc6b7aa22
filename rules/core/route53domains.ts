import { partitionOf } from './arn.ts';
import type { CloudTrailRecord } from './cloudtrail.ts';
import { param, stringParam } from './cloudtrail.ts';

/**
 * Route 53 Domains (the registrar API, `route53domains.amazonaws.com`) logs its actions with a lower-case first
 * letter (`UpdateDomainContact` appears as `updateDomainContact`; Route 53 Developer Guide, "Logging Route 53 API
 * calls with AWS CloudTrail"). Rules list both spellings: the engine dispatches on the exact `eventName`, and a rule
 * that knew only the API's spelling would never fire.
 */
export const bothSpellings = (names: readonly string[]): string[] =>
  names.flatMap((n) => [n, `${n.charAt(0).toLowerCase()}${n.slice(1)}`]);

/** The API's spelling of an event name, whichever way CloudTrail wrote it. */
export const apiName = (e: CloudTrailRecord): string => `${e.eventName.charAt(0).toUpperCase()}${e.eventName.slice(1)}`;

/**
 * The registered domain a call names. AWS's published record nests it (`domainName: { name }`); the API's own
 * field is a plain string, so both are read.
 */
export const domainOf = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 'domainName', 'name') ?? stringParam(e.requestParameters, 'domainName');

/**
 * Route 53 Domains has no resource ARNs (IAM cannot scope it); findings name a domain as
 * `arn:<partition>:route53domains:::domain/<name>` so criticality patterns and suppressions can name one.
 */
export const domainArn = (e: CloudTrailRecord): string =>
  `arn:${partitionOf(e.awsRegion)}:route53domains:::domain/${domainOf(e) ?? 'unknown'}`;

/** Name servers a `UpdateDomainNameservers` call sets (`nameservers: [{ name }]`), for the finding. */
export const nameServersOf = (e: CloudTrailRecord): string[] => {
  const list = param(e.requestParameters, 'nameservers');
  return Array.isArray(list)
    ? list.flatMap((ns) => {
        const name = typeof ns === 'object' && ns !== null && !Array.isArray(ns) ? ns.name : undefined;
        return typeof name === 'string' ? [name] : [];
      })
    : [];
};
