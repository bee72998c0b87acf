// Placement of new chunks: distinct live datanodes with room for a chunk, most free space first
// (counting chunks placed since the last heartbeat), then least busy. Pure apart from charging
// the chosen nodes' `scheduledBytes`, so that a burst of allocations between two heartbeats
// spreads over the cluster instead of landing on the same nodes.

import { CairnError } from '../common/errors.js';
import type { DatanodeInfo } from './registry.js';

export function placeChunk(
  live: readonly DatanodeInfo[],
  replication: number,
  chunkSizeBytes: number,
  exclude: readonly string[],
  /**
   * The chunk's place in a batch handed out ahead (AllocateChunks): such chunks may never be
   * written and are mostly far smaller than a chunk, so nothing is charged for them; the batch
   * takes turns over the nodes with room instead.
   */
  turn?: number,
): DatanodeInfo[] {
  const free = (dn: DatanodeInfo): number => dn.capacityBytes - dn.usedBytes - dn.scheduledBytes;
  const candidates = live
    .filter((dn) => !exclude.includes(dn.id))
    .filter((dn) => dn.availableBytes - dn.scheduledBytes >= chunkSizeBytes)
    .sort((a, b) => free(b) - free(a) || a.activeTransfers - b.activeTransfers);
  if (candidates.length === 0) {
    throw new CairnError('ENOSPC', live.length === 0 ? 'no live datanode' : 'no datanode has space for a chunk');
  }
  const count = Math.min(candidates.length, Math.max(1, replication));
  if (turn !== undefined) return Array.from({ length: count }, (_, i) => candidates[(turn * count + i) % candidates.length] as DatanodeInfo);
  const chosen = candidates.slice(0, count);
  for (const dn of chosen) dn.scheduledBytes += chunkSizeBytes;
  return chosen;
}
