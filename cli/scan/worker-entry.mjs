// A worker thread runs outside the parent's module hooks: register tsx here, as bin/trailwarden.js does, so the
// TypeScript worker runs from source whether the CLI was started by the bin, by tsx or by vitest.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
