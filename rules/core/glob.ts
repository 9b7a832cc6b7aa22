/** ARN, id and name patterns in config: `*` matches anything; everything else is literal. */

const compiled = new Map<string, RegExp>();

/** `*` matches anything; everything else is literal. Compiled once per pattern. */
export const globToRegExp = (glob: string): RegExp => {
  let re = compiled.get(glob);
  if (re === undefined) {
    re = new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    compiled.set(glob, re);
  }
  return re;
};
