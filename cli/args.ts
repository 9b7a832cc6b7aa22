import type { ParseArgsConfig } from 'node:util';
import { parseArgs } from 'node:util';
import { message } from './io.ts';

/** `parseArgs` in strict mode, with an unknown or incomplete option as a value instead of an exception. */
export const parseOptions = <const O extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: O,
) => {
  try {
    const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return { ok: true as const, values, positionals };
  } catch (err) {
    return { ok: false as const, error: message(err) };
  }
};
