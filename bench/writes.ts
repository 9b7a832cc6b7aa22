/**
 * DynamoDB writes per 1,000 routed events, alone (`npx tsx bench/writes.ts`): the figure `npm run bench` reports
 * as `ddbWritesPer1k`, without the scan corpus. Counts, not timings: meaningful on a shared machine. Needs Java
 * for DynamoDB Local, like the tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectionConfigFrom } from '../cli/config-file.ts';
import { measureDynamoWrites } from './lambda.ts';
import { bodies, bruteForceBurst, lambdaMix, loginBurst } from './lambda-mix.ts';

const parsed = detectionConfigFrom(
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'examples', 'trailwarden.config.json'), 'utf8')),
);
if (!parsed.ok) throw new Error(`examples config: ${parsed.errors.join('; ')}`);
const mix = lambdaMix();
const writes = await measureDynamoWrites(
  [
    { name: 'mix', bodies: bodies(mix) },
    { name: 'burst', bodies: bodies(bruteForceBurst()) },
    { name: 'spray', bodies: bodies(loginBurst()) },
  ],
  parsed.config,
);
console.log(`routed events in the mix: ${mix.length}`);
for (const [k, v] of Object.entries(writes)) console.log(`${k}: ${v}`);
console.log(JSON.stringify({ ddbWritesPer1k: writes.mix, routedMixEvents: mix.length }));
