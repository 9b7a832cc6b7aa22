import { describe, expect, it } from 'vitest';
import { SCAN_THREAD_LIMITS, scanThreadLimits } from '../../cli/scan/thread.ts';

/** The thread a CLI scan runs in (its run through the bin: test/cli/main.test.ts, "the prebuilt CLI"). */
describe('scan thread limits', () => {
  const fourGB = 4096 * 2 ** 20;

  it('caps the heap so that V8 collects it close to what is live', () => {
    expect(scanThreadLimits([], '', fourGB)).toEqual(SCAN_THREAD_LIMITS);
    expect(SCAN_THREAD_LIMITS.maxOldGenerationSizeMb).toBeLessThan(2048);
  });

  it.each([
    [['--max-old-space-size=4096'], ''],
    [['--max_old_space_size=4096'], ''],
    [['--enable-source-maps'], '--max-old-space-size=4096 --enable-source-maps'],
  ])('gives the thread the maximum the process was given explicitly (%j, NODE_OPTIONS %j)', (argv, options) => {
    expect(scanThreadLimits(argv, options, fourGB)).toEqual({ ...SCAN_THREAD_LIMITS, maxOldGenerationSizeMb: 4096 });
  });

  it('is not fooled by an option that only starts the same way', () => {
    expect(scanThreadLimits(['--max-old-space-size-percentage=50'], '', fourGB)).toEqual(SCAN_THREAD_LIMITS);
  });
});
