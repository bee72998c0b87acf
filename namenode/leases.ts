// Write leases: one writer per file. A lease is held by a client id and expires unless the
// client renews it, so a writer that dies does not lock its file forever. Pure state.
//
// Leases live in memory: after a namenode restart no lease is held, and the first writer to
// touch a file takes it again (HDFS keeps leases in memory too and rebuilds them from clients).

import { CairnError } from '../common/errors.js';

interface Lease {
  clientId: string;
  expiresMs: number;
}

export class LeaseManager {
  private readonly byInode = new Map<number, Lease>();

  constructor(private readonly expiryMs: number) {}

  /** Takes or refreshes the lease on `ino` for `clientId`; EBUSY if another live client holds it. */
  acquire(ino: number, clientId: string, nowMs: number): void {
    if (clientId === '') throw new CairnError('EINVAL', 'a writer must identify itself (x-cairn-client)');
    const lease = this.byInode.get(ino);
    if (lease !== undefined && lease.clientId !== clientId && lease.expiresMs > nowMs) {
      throw new CairnError('EBUSY', `file is open for writing by another client (inode ${ino})`);
    }
    this.byInode.set(ino, { clientId, expiresMs: nowMs + this.expiryMs });
  }

  /** For writes after open: the caller must hold the lease, or the file must be free to take. */
  check(ino: number, clientId: string, nowMs: number): void {
    this.acquire(ino, clientId, nowMs);
  }

  /** Returns whether `clientId` held the lease (and now does not). */
  release(ino: number, clientId: string): boolean {
    if (this.byInode.get(ino)?.clientId !== clientId) return false;
    this.byInode.delete(ino);
    return true;
  }

  renew(clientId: string, nowMs: number): number {
    let renewed = 0;
    for (const lease of this.byInode.values()) {
      if (lease.clientId === clientId) {
        lease.expiresMs = nowMs + this.expiryMs;
        renewed++;
      }
    }
    return renewed;
  }

  /** Drops expired leases (bounded memory); returns their inodes. */
  expire(nowMs: number): number[] {
    const expired: number[] = [];
    for (const [ino, lease] of this.byInode) {
      if (lease.expiresMs > nowMs) continue;
      this.byInode.delete(ino);
      expired.push(ino);
    }
    return expired;
  }

  holder(ino: number, nowMs: number): string | undefined {
    const lease = this.byInode.get(ino);
    return lease !== undefined && lease.expiresMs > nowMs ? lease.clientId : undefined;
  }
}
