// One SDK client per caller identity (uid:gid and supplementary groups) of a mount, so that the
// namenode checks each operation against the user and groups of the process that made it and new
// files belong to it. A FUSE request carries the caller's uid, gid and pid only: the supplementary
// groups are read from /proc/<pid>/status, as libfuse's fuse_req_getgroups does.
//
// All of a mount's clients share one client id, so write leases belong to the mount: a file
// opened for writing by two users of one mount has one writer (open-files.ts), never EBUSY.
// Clients are kept while they are in use; idle ones beyond `clientsMax` are closed, oldest first.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { groupsFrom } from '../../common/rpc.js';
import { CairnClient } from '../sdk/client.js';
import { SyncTracker, refusalsOf } from '../sdk/namenode-client.js';
import type { Refusals } from '../../common/backoff.js';

export interface IdentitiesOptions {
  namenode: string;
  secret: string;
  /** Every namenode call of every client gives up after this long, and waits as long for a namenode refusing connections (restarting). */
  deadlineMs: number;
  clientsMax?: number;
}

interface Entry {
  client: CairnClient;
  pins: number;
}

export class Identities {
  readonly clientId = `mount-${randomUUID()}`;
  /** One for all the mount's clients: an fsync of a directory covers the changes of every identity. */
  private readonly syncTracker = new SyncTracker();
  private readonly entries = new Map<string, Entry>();
  private readonly clientsMax: number;

  constructor(private readonly opts: IdentitiesOptions) {
    this.clientsMax = opts.clientsMax ?? 256;
  }

  /** The namenode's refusals of connections, as every client of this process saw them. */
  get refusals(): Refusals {
    return refusalsOf(this.opts.namenode);
  }

  /** Orders this mount's namenode calls behind those answered ahead (early-unlinks.ts). */
  get tracker(): SyncTracker {
    return this.syncTracker;
  }

  /** The client acting as uid:gid with supplementary `groups`. */
  get(uid: number, gid: number, groups: readonly number[] = []): CairnClient {
    const key = groups.length === 0 ? `${uid}:${gid}` : `${uid}:${gid}:${groups.join(',')}`;
    let entry = this.entries.get(key);
    if (entry !== undefined) {
      // Map order is recency order: move to the end.
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry.client;
    }
    entry = {
      client: new CairnClient({ namenode: this.opts.namenode, secret: this.opts.secret, uid, gid, groups, deadlineMs: this.opts.deadlineMs, reconnectWaitMs: this.opts.deadlineMs, clientId: this.clientId, syncTracker: this.syncTracker }),
      pins: 0,
    };
    this.entries.set(key, entry);
    this.evictIdle();
    return entry.client;
  }

  /** The mount's own identity (root): lookups and attributes, which the kernel already checked. */
  get root(): CairnClient {
    return this.get(0, 0);
  }

  /** Keeps a client open while one of its file handles is open. */
  pin(client: CairnClient): void {
    const entry = this.find(client);
    if (entry !== undefined) entry.pins++;
  }

  unpin(client: CairnClient): void {
    const entry = this.find(client);
    if (entry !== undefined) entry.pins = Math.max(0, entry.pins - 1);
  }

  get size(): number {
    return this.entries.size;
  }

  async close(): Promise<void> {
    const clients = [...this.entries.values()].map((e) => e.client);
    this.entries.clear();
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  }

  private find(client: CairnClient): Entry | undefined {
    for (const entry of this.entries.values()) if (entry.client === client) return entry;
    return undefined;
  }

  private evictIdle(): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.clientsMax) return;
      if (entry.pins > 0 || key === '0:0') continue;
      this.entries.delete(key);
      void entry.client.close().catch(() => undefined);
    }
  }
}

/**
 * The supplementary groups of process `pid` (its `Groups:` line in /proc), or none when it cannot
 * be read (the process is gone, or pid 0: the kernel's own request).
 */
export function supplementaryGroups(pid: number): number[] {
  if (pid <= 0) return [];
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return [];
  }
  const at = status.indexOf('\nGroups:');
  if (at < 0) return [];
  const end = status.indexOf('\n', at + 1);
  return groupsFrom(status.slice(at + 8, end < 0 ? undefined : end).trim().split(/\s+/).join(','));
}
