// Deleting a file's inode, its chunk list and its extended attributes: shared by unlink,
// rename-over and truncating open.

import type { FreedChunk, OpContext } from './context.js';
import { keys, prefixEnd, type ChunkRecord, type InodeRecord } from './records.js';
import { dropXattrs } from './xattr.js';

/**
 * Deletes chunk records of `ino` with index >= fromIndex; returns the chunk versions freed. A
 * file that never had a chunk (`nc`) has none to read for.
 */
export async function dropChunks(ctx: OpContext, ino: number, rec: InodeRecord, fromIndex: number): Promise<FreedChunk[]> {
  if (rec.nc === true) return [];
  const prefix = keys.chunkPrefix(ino);
  const rows = await ctx.tx.range({ gte: keys.chunk(ino, fromIndex), lt: prefixEnd(prefix) });
  const freed: FreedChunk[] = [];
  for (const [key, value] of rows) {
    const chunk = JSON.parse(value) as ChunkRecord;
    freed.push({ chunkId: chunk.id, gen: chunk.gen });
    ctx.tx.del(key);
  }
  return freed;
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
