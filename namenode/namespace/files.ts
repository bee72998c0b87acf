// Deleting a file's inode, its chunk list and its extended attributes: shared by unlink,
// rename-over and truncating open.

import type { FreedChunk, OpContext } from './context.js';
import { keys, parseChunkKey, prefixEnd, type ChunkRecord, type InodeRecord } from './records.js';
import { dropXattrs } from './xattr.js';

export interface IndexedChunk extends ChunkRecord {
  index: number;
}

/**
 * The chunk records of file `ino` (its record `rec`) from index `fromIndex` on (at most `limit`).
 * A file that never had a chunk (`nc`) has none to read for. A file smaller than one chunk can
 * only have the one at index 0 (none is kept past the size, and a chunk at index k makes the
 * size at least k chunks): a point read, answered from the read cache or at once by LevelDB,
 * where a range is a trip through LevelDB's thread pool. Most files are small, and a reader's
 * open, an unlink and a truncating open read their chunk lists.
 */
export async function chunksFrom(ctx: OpContext, ino: number, rec: InodeRecord, fromIndex: number, limit?: number): Promise<IndexedChunk[]> {
  if (rec.nc === true || limit === 0) return [];
  if (rec.size < ctx.settings.chunkSizeBytes) {
    const only = fromIndex === 0 ? await ctx.tx.getJson<ChunkRecord>(keys.chunk(ino, 0)) : undefined;
    return only === undefined ? [] : [{ ...only, index: 0 }];
  }
  const rows = await ctx.tx.range({ gte: keys.chunk(ino, fromIndex), lt: prefixEnd(keys.chunkPrefix(ino)), ...(limit !== undefined && { limit }) });
  return rows.map(([key, value]) => ({ ...(JSON.parse(value) as ChunkRecord), index: parseChunkKey(key).index }));
}

/** Deletes chunk records of `ino` with index >= fromIndex; returns the chunk versions freed. */
export async function dropChunks(ctx: OpContext, ino: number, rec: InodeRecord, fromIndex: number): Promise<FreedChunk[]> {
  const chunks = await chunksFrom(ctx, ino, rec, fromIndex);
  for (const chunk of chunks) ctx.tx.del(keys.chunk(ino, chunk.index));
  return chunks.map((chunk) => ({ chunkId: chunk.id, gen: chunk.gen }));
}

/** Removes one link to a file or symlink; deletes it (and frees its chunks) at the last link. */
export async function dropLink(ctx: OpContext, ino: number): Promise<FreedChunk[]> {
  const rec = await ctx.tx.getJson<InodeRecord>(keys.inode(ino));
  if (rec === undefined) return [];
  if (rec.nlink > 1) {
    ctx.tx.putJson(keys.inode(ino), { ...rec, nlink: rec.nlink - 1, ctime: ctx.nowMs });
    return [];
  }
  ctx.tx.del(keys.inode(ino));
  // Range reads of the store, side by side (each is a trip through LevelDB's thread pool), and
  // only for what the inode may have (records.ts: nx, nc).
  const [, freed] = await Promise.all([dropXattrs(ctx, ino, rec), rec.type === 'f' ? dropChunks(ctx, ino, rec, 0) : []]);
  return freed;
}
