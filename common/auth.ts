// Cluster credentials and chunk access tokens.
//
// Every RPC carries the cluster secret. Datanodes move chunk bytes only with a token the
// namenode signed: HMAC-SHA256 over (chunk id, generation stamp, mode, expiry) with a key
// derived from the cluster secret, so a datanode port is not an open door to anyone who can
// reach it, and a token for one chunk version cannot be used for another.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'fs-extra';
import { CairnError } from './errors.js';
import { limits } from './limits.js';

export type TokenMode = 'r' | 'w';

export function generateSecret(): string {
  return randomBytes(32).toString('hex');
}

export function secretsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function tokenKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('cairn chunk token v1').digest();
}

export class ChunkTokens {
  private readonly key: Buffer;

  constructor(secret: string, private readonly lifetimeMs: number = limits.chunkTokenLifetimeMs) {
    this.key = tokenKey(secret);
  }

  sign(chunkId: number, gen: number, mode: TokenMode, nowMs: number): string {
    const expiresMs = nowMs + this.lifetimeMs;
    return `${mode}.${expiresMs}.${this.mac(chunkId, gen, mode, expiresMs)}`;
  }

  /** Throws EAUTH unless `token` grants `mode` on (chunkId, gen) at `nowMs`. */
  verify(token: string, chunkId: number, gen: number, mode: TokenMode, nowMs: number): void {
    const [tokenMode, expires, mac] = token.split('.');
    const expiresMs = Number(expires);
    if (tokenMode !== mode || !Number.isSafeInteger(expiresMs) || mac === undefined) {
      throw new CairnError('EAUTH', `chunk token not valid for ${mode === 'r' ? 'reading' : 'writing'} chunk ${chunkId}`);
    }
    if (expiresMs < nowMs) throw new CairnError('EAUTH', `chunk token for chunk ${chunkId} expired`);
    const want = Buffer.from(this.mac(chunkId, gen, mode, expiresMs));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !timingSafeEqual(want, got)) {
      throw new CairnError('EAUTH', `chunk token for chunk ${chunkId} gen ${gen} has a bad signature`);
    }
  }

  private mac(chunkId: number, gen: number, mode: TokenMode, expiresMs: number): string {
    return createHmac('sha256', this.key).update(`${chunkId}:${gen}:${mode}:${expiresMs}`).digest('base64url');
  }
}

/**
 * The cluster secret for a client or server: `--secret-file`, else CAIRN_SECRET, else the
 * fallback file (a local cluster's `./data/secret`). Undefined when none is found.
 */
export async function readSecret(opts: { secretFile?: string | undefined; fallbackFile?: string }): Promise<string | undefined> {
  if (opts.secretFile !== undefined) return (await fs.readFile(opts.secretFile, 'utf8')).trim();
  const env = process.env.CAIRN_SECRET;
  if (env !== undefined && env !== '') return env.trim();
  if (opts.fallbackFile !== undefined && (await fs.pathExists(opts.fallbackFile))) {
    return (await fs.readFile(opts.fallbackFile, 'utf8')).trim();
  }
  return undefined;
}
