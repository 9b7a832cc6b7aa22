import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { DigestSigner } from '../rules/core/signature.ts';
import { createKeySigner } from '../rules/core/signature.ts';
import { message } from './io.ts';

/**
 * The CLI's digest signing key (`scan --evidence`). The private key signs; whoever holds it can sign digests, so
 * it must never sit inside the evidence it vouches for (anyone who may edit the evidence could then re-sign it).
 * It lives in the user's config directory (generated on first use, readable by the owner only) or wherever
 * `--signing-key FILE` points; only the PUBLIC key is written beside the evidence.
 */
export const defaultSigningKeyPath = (env: Readonly<Record<string, string | undefined>>): string => {
  const config = env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : undefined;
  return join(config ?? join(env.HOME ?? homedir(), '.config'), 'trailwarden', 'signing-key.pem');
};

export type SigningKey =
  | { readonly ok: true; readonly signer: DigestSigner; readonly path: string; readonly created: boolean }
  | { readonly ok: false; readonly error: string };

/** Whether `path` is `dir` or inside it (after resolving both). */
export const isInside = (path: string, dir: string): boolean => {
  const rel = relative(resolve(dir), resolve(path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/**
 * The signer for `path`. An explicitly named file must exist (a typo must not silently mint a new key); the
 * default file is generated (EC P-256, PKCS#8 PEM, mode 0600 in a 0700 directory) when absent.
 */
export const loadSigningKey = (options: {
  readonly path: string;
  readonly explicit: boolean;
  readonly evidenceDir: string;
}): SigningKey => {
  const { path } = options;
  if (isInside(path, options.evidenceDir)) {
    return {
      ok: false,
      error: `${path}: the signing key must be kept outside the evidence directory (anyone who can edit the evidence could re-sign it)`,
    };
  }
  let created = false;
  if (!existsSync(path)) {
    if (options.explicit) return { ok: false, error: `${path}: no such signing key file` };
    try {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // 'wx': never replace a key another process created meanwhile.
      writeFileSync(path, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
      created = true;
    } catch (err) {
      return { ok: false, error: `${path}: cannot create a signing key: ${message(err)}` };
    }
  }
  try {
    return { ok: true, signer: createKeySigner(readFileSync(path, 'utf8')), path, created };
  } catch (err) {
    return { ok: false, error: `${path}: not a usable signing key: ${message(err)}` };
  }
};
