// The namenode's parts, each with its own owner (STYLE: separate owners for namespace, chunk
// map and datanode liveness, so that a heartbeat never waits behind namespace work).

import { ChunkTokens } from '../common/auth.js';
import type { Logger } from '../common/log.js';
import type { ChunkMap } from './chunkmap.js';
import type { LeaseManager } from './leases.js';
import type { Namespace } from './namespace/namespace.js';
import type { FreedChunk } from './namespace/context.js';
import type { DatanodeRegistry } from './registry.js';

export interface NamenodeSettings {
  heartbeatMs: number;
  deadAfterMs: number;
  fullReportMs: number;
  leaseExpiryMs: number;
  orphanGraceMs: number;
  defaultReplication: number;
}

export interface NamenodeState {
  namespace: Namespace;
  registry: DatanodeRegistry;
  chunks: ChunkMap;
  leases: LeaseManager;
  tokens: ChunkTokens;
  secret: string;
  settings: NamenodeSettings;
  log: Logger;
  now: () => number;
}

/** Chunks the namespace dropped: their replicas are deleted lazily through heartbeat replies. */
export function releaseChunks(state: NamenodeState, freed: readonly FreedChunk[]): void {
  for (const chunk of freed) state.chunks.forget(chunk.chunkId);
  if (freed.length > 0) state.log.debug({ chunks: freed.length }, 'chunks released for deletion');
}
