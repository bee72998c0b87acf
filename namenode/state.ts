// The namenode's parts, each with its own owner (STYLE: separate owners for namespace, chunk
// map and datanode liveness, so that a heartbeat never waits behind namespace work).

import { ChunkTokens } from '../common/auth.js';
import { CairnError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import type { ChunkMap } from './chunkmap.js';
import type { DirGrants, ReservedInodes } from './grants.js';
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
  /**
   * Whether the SDK clients of one process may share a framed connection, each call naming its
   * client (CALL_AS frames, common/frame-rpc.ts). Off, each client has a connection of its own
   * and CALL_AS frames are refused, as by a namenode older than session 24.
   */
  sharedCalls: boolean;
}

/** A version prepared for a file's chunk, and the version (stamp, length) an update of it starts from. */
export interface PreparedVersion {
  chunkId: number;
  gen: number;
  /** 0 for a new chunk. */
  baseGen: number;
  baseLength: number;
}

/**
 * Chunk versions handed out by PrepareChunk (for a file and index), by a commit that asked for
 * the chunk's next version (CommitChunk prepare_next), or by AllocateChunks (for the client's next
 * new chunks) and not yet committed. A commit must match one, so that a client can only commit a
 * chunk it was given. In memory only: after a namenode restart a commit gets EAGAIN and the
 * client prepares and sends again.
 */
export class PreparedChunks {
  /** inode -> chunk index -> the version prepared there (one at a time). */
  private readonly byFile = new Map<number, Map<number, PreparedVersion & { atMs: number; next: boolean }>>();
  /** Chunks handed out ahead (AllocateChunks), bound to no file until their commit. */
  private readonly allocated = new Map<number, { gen: number; clientId: string; atMs: number }>();
  private readonly allocatedPerClient = new Map<string, number>();

  /** `next`: prepared by a commit, ahead of any write (forgotten when the writer lets the lease go). */
  add(ino: number, index: number, version: PreparedVersion, nowMs: number, next = false): void {
    let file = this.byFile.get(ino);
    if (file === undefined) this.byFile.set(ino, (file = new Map()));
    file.set(index, { ...version, atMs: nowMs, next });
  }

  /** Removes and returns the version prepared for (ino, index) if it is (chunkId, gen). */
  take(ino: number, index: number, chunkId: number, gen: number): PreparedVersion | undefined {
    const file = this.byFile.get(ino);
    const entry = file?.get(index);
    if (file === undefined || entry === undefined || entry.chunkId !== chunkId || entry.gen !== gen) return undefined;
    file.delete(index);
    if (file.size === 0) this.byFile.delete(ino);
    return entry;
  }

  /** Forgets the next versions prepared for a file (its writer let the lease go: it will prepare). */
  forgetNext(ino: number): void {
    const file = this.byFile.get(ino);
    if (file === undefined) return;
    for (const [index, entry] of file) if (entry.next) file.delete(index);
    if (file.size === 0) this.byFile.delete(ino);
  }

  /** Versions prepared for files and not committed. */
  get preparedCount(): number {
    let n = 0;
    for (const file of this.byFile.values()) n += file.size;
    return n;
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
    for (const [ino, file] of this.byFile) {
      for (const [index, entry] of file) if (entry.atMs < preparedBefore) file.delete(index);
      if (file.size === 0) this.byFile.delete(ino);
    }
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
  /** Directories whose creates a mount may answer ahead (grants.ts). */
  grants: DirGrants;
  /** Inode numbers reserved for those creates (grants.ts). */
  reserved: ReservedInodes;
  tokens: ChunkTokens;
  secret: string;
  settings: NamenodeSettings;
  log: Logger;
  now: () => number;
  /** Where ClientNamenode is also served over framed TCP (0: not). */
  frameRpcPort: number;
  /** The same over a Unix socket for clients on this machine (an abstract name; '' : not). */
  localSocket: string;
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
