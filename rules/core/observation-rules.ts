import { elevatedAccessObservationRules } from './elevated-access.ts';
import type { ObservationRule } from './trail-integrity.ts';
import { trailIntegrityObservationRules } from './trail-integrity.ts';

/**
 * Every rule over observations rather than events (a function's checks of live state), with its cases run: what
 * `trailwarden docs`, `coverage` and `export` list beside the catalogue.
 */
export const observationRules = (): readonly ObservationRule[] => [
  ...trailIntegrityObservationRules(),
  ...elevatedAccessObservationRules(),
];
