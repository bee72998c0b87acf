// Re-replication and over-replication: which chunk copies to order, from where to where, and
// which excess replicas to delete. Pure logic over the chunk map and the datanode registry;
// time comes in as `nowMs`. The namenode turns the orders into heartbeat-reply commands.
//
// Invariants:
//  - most endangered first: a chunk with one live replica is copied before one with two;
//  - at most `maxStreamsPerDatanode` copies in flight per datanode, as source or target;
//  - a chunk has at most one order in flight; an order not seen done by its deadline is retried;
//  - replicas on decommissioning nodes serve as sources but do not count towards the factor;
//  - nothing is ordered or trimmed in safe mode (the caller does not tick then).

import type { ChunkMap } from './chunkmap.js';
import type { DatanodeInfo, DatanodeRegistry } from './registry.js';

export interface ReplicationSettings {
  maxStreamsPerDatanode: number;
  /** An order's deadline: this, plus the time the bytes need at `minRateBytesPerS`. */
  orderBaseMs: number;
  minRateBytesPerS: number;
}

export const replicationDefaults: ReplicationSettings = {
  maxStreamsPerDatanode: 4,
  orderBaseMs: 10_000,
  minRateBytesPerS: 5 * 1024 * 1024,
};

export interface ReplicationOrder {
  chunkId: number;
  gen: number;
  lengthBytes: number;
  source: string;
  targets: DatanodeInfo[];
}

interface Pending {
  source: string;
  targets: string[];
  deadlineMs: number;
}

export class ReplicationPlanner {
  /** chunkId -> live replicas that count, for chunks below their factor */
  private readonly needed = new Map<number, number>();
  private readonly pending = new Map<number, Pending>();
  scheduledTotal = 0;

  constructor(
    private readonly chunks: ChunkMap,
    private readonly registry: DatanodeRegistry,
    private readonly settings: ReplicationSettings = replicationDefaults,
  ) {}

  get underReplicated(): number {
    return this.needed.size;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Orders that involve a dead datanode will never finish: plan those chunks again now. */
  datanodeDied(id: string): void {
    for (const [chunkId, order] of this.pending) {
      if (order.source === id || order.targets.includes(id)) this.pending.delete(chunkId);
    }
  }

  /** Looks at every chunk that changed, trims excess, and orders copies for what is short. */
  tick(nowMs: number): ReplicationOrder[] {
    for (const [chunkId, order] of this.pending) if (order.deadlineMs <= nowMs) this.pending.delete(chunkId);
    for (const chunkId of this.chunks.takeAttention()) this.evaluate(chunkId);
    return this.schedule(nowMs);
  }

  private evaluate(chunkId: number): void {
    const expected = this.chunks.expectedOf(chunkId);
    if (expected === undefined) {
      this.needed.delete(chunkId);
      this.pending.delete(chunkId);
      return;
    }
    const counting = this.chunks.currentHolders(chunkId, (dn) => this.registry.isLiveNormal(dn));
    // An order whose every target now holds the chunk is done: the next one may go at once
    // (a chunk may still be short, e.g. when some nodes were still deleting an older copy).
    const order = this.pending.get(chunkId);
    if (order !== undefined && order.targets.every((t) => counting.includes(t))) this.pending.delete(chunkId);
    const wanted = Math.min(expected.rep, Math.max(1, this.registry.writable().length));
    if (counting.length < wanted) {
      this.needed.set(chunkId, counting.length);
      return;
    }
    this.needed.delete(chunkId);
    this.pending.delete(chunkId);
    this.chunks.clearCorrupt(chunkId);
    if (counting.length > expected.rep) this.trimExcess(chunkId, counting, counting.length - expected.rep);
  }

  /** Deletes the replicas on the fullest nodes first. */
  private trimExcess(chunkId: number, holders: string[], excess: number): void {
    const byFree = holders
      .map((id) => this.registry.get(id))
      .filter((dn): dn is DatanodeInfo => dn !== undefined)
      .sort((a, b) => a.availableBytes - b.availableBytes);
    for (const dn of byFree.slice(0, excess)) this.chunks.trim(dn.id, chunkId);
  }

  private schedule(nowMs: number): ReplicationOrder[] {
    const streams = new Map<string, number>();
    const busy = (id: string): number => streams.get(id) ?? 0;
    const charge = (id: string): void => void streams.set(id, busy(id) + 1);
    for (const order of this.pending.values()) {
      charge(order.source);
      order.targets.forEach(charge);
    }
    const orders: ReplicationOrder[] = [];
    const max = this.settings.maxStreamsPerDatanode;
    const byUrgency = [...this.needed.entries()].filter(([chunkId]) => !this.pending.has(chunkId)).sort((a, b) => a[1] - b[1]);
    for (const [chunkId, live] of byUrgency) {
      const expected = this.chunks.expectedOf(chunkId);
      if (expected === undefined) continue;
      const sources = this.chunks
        .currentHolders(chunkId, (dn) => this.registry.isLive(dn))
        .filter((dn) => busy(dn) < max)
        .sort((a, b) => busy(a) - busy(b) || this.adminRank(a) - this.adminRank(b));
      const source = sources[0];
      if (source === undefined) continue; // missing, or every holder busy: next tick
      const holders = new Set(this.chunks.currentHolders(chunkId, () => true));
      const targets = this.registry
        .writable()
        .filter((dn) => !holders.has(dn.id) && !this.chunks.isDeleting(dn.id, chunkId) && busy(dn.id) < max && dn.availableBytes - dn.scheduledBytes >= expected.len)
        .sort((a, b) => busy(a.id) - busy(b.id) || b.availableBytes - b.scheduledBytes - (a.availableBytes - a.scheduledBytes))
        .slice(0, expected.rep - live);
      if (targets.length === 0) continue;
      charge(source);
      for (const target of targets) {
        charge(target.id);
        target.scheduledBytes += expected.len;
      }
      const deadlineMs = nowMs + this.settings.orderBaseMs + Math.ceil((expected.len / this.settings.minRateBytesPerS) * 1000);
      this.pending.set(chunkId, { source, targets: targets.map((t) => t.id), deadlineMs });
      orders.push({ chunkId, gen: expected.gen, lengthBytes: expected.len, source, targets });
      this.scheduledTotal++;
    }
    return orders;
  }

  /** Prefer copying from nodes that are leaving, to spare the ones that stay. */
  private adminRank(id: string): number {
    return this.registry.adminStateOf(id) === 'normal' ? 1 : 0;
  }
}
