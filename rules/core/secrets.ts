import type { CloudTrailRecord, JsonValue } from './cloudtrail.ts';
import { param } from './cloudtrail.ts';

const nonEmptyList = (v: JsonValue | undefined): boolean => Array.isArray(v) && v.length > 0;

/**
 * A BatchGetSecretValue by filter returns every secret the filter matches (20 a page, paginated): a catch-all such
 * as `tag-key = !tagKeyThatWillNeverExist` dumps the store. A batch naming its secrets is an application's read.
 * Without a readable `secretIdList` the batch is treated as a filter: fail closed.
 */
export const batchByFilter = (e: CloudTrailRecord): boolean =>
  !nonEmptyList(param(e.requestParameters, 'secretIdList')) || nonEmptyList(param(e.requestParameters, 'filters'));
