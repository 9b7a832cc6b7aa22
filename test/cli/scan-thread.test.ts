import { describe, expect, it } from 'vitest';
import { SCAN_THREAD_LIMITS, scanThreadLimits } from '../../cli/scan/thread.ts';

/** The thread a CLI scan runs in (its run through the bin: test/cli/main.test.ts, "the prebuilt CLI"). */
describe('scan thread limits', () => {
  it('caps the heap so that V8 collects it close to what is live', () => {
    expect(scanThreadLimits([], '')).toEqual(SCAN_THREAD_LIMITS);
    expect(SCAN_THREAD_LIMITS.maxOldGenerationSizeMb).toBeLessThan(2048);
  });

  it.each([
    [['--max-old-space-size=4096'], '', 4096],
    [['--max_old_space_size=4096'], '', 4096],
    [['--enable-source-maps'], '--max-old-space-size=3072 --enable-source-maps', 3072],
    // The command line comes after NODE_OPTIONS, and the last one wins.
    [['--max-old-space-size=4096'], '--max-old-space-size=3072', 4096],
    [['--max-old-space-size=64', '--max-old-space-size=4096'], '', 4096],
  ])('gives the thread the maximum the process was given explicitly (%j, NODE_OPTIONS %j)', (argv, options, mb) => {
    expect(scanThreadLimits(argv, options)).toEqual({ ...SCAN_THREAD_LIMITS, maxOldGenerationSizeMb: mb });
  });

  it('is not fooled by an option that only starts the same way', () => {
    expect(scanThreadLimits(['--max-old-space-size-percentage=50'], '')).toEqual(SCAN_THREAD_LIMITS);
  });
});
