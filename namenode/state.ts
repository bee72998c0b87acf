// The namenode's parts, each with its own owner (STYLE: separate owners for namespace, chunk
// map and datanode liveness, so that a heartbeat never waits behind namespace work).

import { ChunkTokens } from '../common/auth.js';
import { CairnError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import type { ChunkMap } from './chunkmap.js';
import type { LeaseManager } from './leases.js';
import type { Namespace } from './namespace/namespace.js';
import type { FreedChunk } from './namespace/context.js';
import type { AdminState, DatanodeRegistry } from './registry.js';
import type { ReplicationOrder, ReplicationPlanner } from './replication.js';
import type { SafeMode } from './safemode.js';
import type { Durability } from './store/metadb.js';

export interface NamenodeSettings {
  heartbeatMs: number;
  safeModeExtensionMs: number;
  safeModeMaxMs: number;
  deadAfterMs: number;
  fullReportMs: number;
  leaseExpiryMs: number;
  orphanGraceMs: number;
  defaultReplication: number;
  /** When acknowledged metadata changes reach the disk (store/metadb.ts). */
  metaDurability: Durability;
  /** In on-sync mode, the longest an acknowledged change waits for a sync write. */
  metaSyncIntervalMs: number;
}

/**
 * Chunk versions handed out by PrepareChunk (for a file and index) or AllocateChunks (for the
 * client's next new chunks) and not yet committed. A commit must match one, so that a client can
 * only commit a chunk it was given. In memory only: after a namenode restart a commit gets EAGAIN
 * and the client prepares and sends again.
 */
export class PreparedChunks {
  private readonly byKey = new Map<string, { chunkId: number; gen: number; atMs: number }>();
  /** Chunks handed out ahead (AllocateChunks), bound to no file until their commit. */
  private readonly allocated = new Map<number, { gen: number; clientId: string; atMs: number }>();
  private readonly allocatedPerClient = new Map<string, number>();

  add(ino: number, index: number, chunkId: number, gen: number, nowMs: number): void {
    this.byKey.set(`${ino}/${index}`, { chunkId, gen, atMs: nowMs });
  }

  /** Removes and returns whether (chunkId, gen) was prepared for (ino, index). */
  take(ino: number, index: number, chunkId: number, gen: number): boolean {
    const key = `${ino}/${index}`;
    const entry = this.byKey.get(key);
    if (entry === undefined || entry.chunkId !== chunkId || entry.gen !== gen) return false;
    this.byKey.delete(key);
    return true;
  }

  /** How many more chunks `clientId` may be handed out ahead (it holds at most `perClientMax`, all clients `totalMax`). */
  allocatable(clientId: string, perClientMax: number, totalMax = Infinity): number {
    return Math.max(0, Math.min(perClientMax - (this.allocatedPerClient.get(clientId) ?? 0), totalMax - this.allocated.size));
  }

  addAllocated(chunkId: number, gen: number, clientId: string, nowMs: number): void {
    this.allocated.set(chunkId, { gen, clientId, atMs: nowMs });
    this.allocatedPerClient.set(clientId, (this.allocatedPerClient.get(clientId) ?? 0) + 1);
  }

  /** Removes and returns whether (chunkId, gen) was handed out ahead to `clientId`. */
  takeAllocated(chunkId: number, gen: number, clientId: string): boolean {
    const entry = this.allocated.get(chunkId);
    if (entry === undefined || entry.gen !== gen || entry.clientId !== clientId) return false;
    this.dropAllocated(chunkId, entry.clientId);
    return true;
  }

  /** Forgets versions prepared before `preparedBefore`, and chunks handed out before `allocatedBefore`. */
  expire(preparedBefore: number, allocatedBefore = preparedBefore): void {
    for (const [key, entry] of this.byKey) if (entry.atMs < preparedBefore) this.byKey.delete(key);
    for (const [chunkId, entry] of this.allocated) if (entry.atMs < allocatedBefore) this.dropAllocated(chunkId, entry.clientId);
  }

  private dropAllocated(chunkId: number, clientId: string): void {
    this.allocated.delete(chunkId);
    const left = (this.allocatedPerClient.get(clientId) ?? 1) - 1;
    if (left > 0) this.allocatedPerClient.set(clientId, left);
    else this.allocatedPerClient.delete(clientId);
  }
}

export interface NamenodeState {
  prepared: PreparedChunks;
  planner: ReplicationPlanner;
  safeMode: SafeMode;
  /** Copy orders waiting for their source datanode's next heartbeat. */
  replicateOrders: Map<string, ReplicationOrder[]>;
  namespace: Namespace;
  registry: DatanodeRegistry;
  chunks: ChunkMap;
  leases: LeaseManager;
  tokens: ChunkTokens;
  secret: string;
  settings: NamenodeSettings;
  log: Logger;
  now: () => number;
  /** Where ClientNamenode is also served over framed TCP (0: not). */
  frameRpcPort: number;
}

/** Mutations wait for safe mode to end (the SDK retries EROFS until its deadline). */
export function checkWritable(state: NamenodeState): void {
  if (state.safeMode.active) throw new CairnError('EROFS', 'the namenode is in safe mode (waiting for datanode chunk reports)');
}

/** Chunks the namespace dropped: their replicas are deleted lazily through heartbeat replies. */
export function releaseChunks(state: NamenodeState, freed: readonly FreedChunk[]): void {
  for (const chunk of freed) state.chunks.forget(chunk.chunkId);
  if (freed.length > 0) state.log.debug({ chunks: freed.length }, 'chunks released for deletion');
}

/** Decommissioning survives a namenode restart: the admin state is kept in the metadata store. */
export const adminKeyPrefix = 'm/admin/';

export async function persistAdminState(state: NamenodeState, id: string, adminState: AdminState): Promise<void> {
  await state.namespace.db.transact(
    async (tx) => {
      if (adminState === 'normal') tx.del(adminKeyPrefix + id);
      else tx.put(adminKeyPrefix + id, adminState);
    },
    { sync: true }, // an administrator's decision is on disk when acknowledged
  );
}
