// A file's chunk list: reading it, preparing a chunk write (fresh generation stamp, pipeline),
// committing what the pipeline acknowledged, and truncation.
//
// Invariants: a chunk record's gen only grows; a chunk version becomes current only when a
// pipeline acknowledged it (commit), so a failed or abandoned write never makes the current
// replicas stale. Stamps come from one counter persisted with the prepare, so a stamp is never
// handed out twice, even across a namenode crash.

import { CairnError } from '../../common/errors.js';
import { limits } from '../../common/limits.js';
import { toAttr, type Attr } from './attr.js';
import type { FreedChunk, OpContext } from './context.js';
import { chunksFrom, dropChunks, type IndexedChunk } from './files.js';
import { R, checkAccess, mustGetInode, nextId, putInode } from './inodes.js';
import { applyAttrChanges, type AttrChanges } from './setattr.js';
import { keys, prefixEnd, type ChunkRecord, type IdCounters, type InodeRecord } from './records.js';

export type { IndexedChunk };

export interface Pipeline {
  id: string;
  address: string;
}

/** Where chunk bytes go: chosen by the placement policy, from live replicas in the chunk map. */
export interface ChunkPlacement {
  /** Distinct datanodes for a new chunk; throws ENOSPC when none can take it. `turn`: placeChunk's. */
  place(replication: number, exclude: readonly string[], turn?: number): Pipeline[];
  /** Live datanodes holding exactly (chunkId, gen). */
  replicasOf(chunkId: number, gen: number): Pipeline[];
}

async function mustGetFile(ctx: OpContext, ino: number): Promise<InodeRecord> {
  const rec = await mustGetInode(ctx.tx, ino);
  if (rec.type !== 'f') throw new CairnError(rec.type === 'd' ? 'EISDIR' : 'EINVAL', `inode ${ino} is not a regular file`);
  return rec;
}

export async function getChunks(
  ctx: OpContext,
  ino: number,
  fromIndex: number,
  count: number,
): Promise<{ rec: InodeRecord; chunks: IndexedChunk[] }> {
  const rec = await mustGetFile(ctx, ino);
  checkAccess(rec, ctx.caller, R, `inode ${ino}`);
  return { rec, chunks: await chunksFrom(ctx, ino, rec, fromIndex, Math.min(count || limits.chunksPerReplyMax, limits.chunksPerReplyMax)) };
}

export interface PreparedChunk {
  chunkId: number;
  gen: number;
  baseGen: number;
  baseLength: number;
  pipeline: Pipeline[];
  /** The file's size now. */
  fileSizeBytes: number;
}

export async function prepareChunk(
  ctx: OpContext,
  ino: number,
  index: number,
  exclude: readonly string[],
  checkLease: (ino: number) => void,
  placement: ChunkPlacement,
): Promise<PreparedChunk> {
  checkIndex(ctx, index);
  const rec = await mustGetFile(ctx, ino);
  checkLease(ino);
  const existing = await ctx.tx.getJson<ChunkRecord>(keys.chunk(ino, index));
  if (existing === undefined) {
    const pipeline = placement.place(rec.rep, exclude);
    const chunkId = await nextId(ctx.tx, 'chunk');
    const gen = await nextId(ctx.tx, 'gen');
    return { chunkId, gen, baseGen: 0, baseLength: 0, pipeline, fileSizeBytes: rec.size };
  }
  const pipeline = placement.replicasOf(existing.id, existing.gen).filter((dn) => !exclude.includes(dn.id));
  if (pipeline.length === 0) {
    throw new CairnError('EIO', `no live replica of chunk ${existing.id} (index ${index} of inode ${ino}) to update`);
  }
  const gen = await nextId(ctx.tx, 'gen');
  return { chunkId: existing.id, gen, baseGen: existing.gen, baseLength: existing.len, pipeline, fileSizeBytes: rec.size };
}

/**
 * New chunks handed out ahead of any file (AllocateChunks): ids and stamps from the same counters
 * as PrepareChunk, each with its own pipeline. Nothing records them but the counters: a chunk
 * never committed leaves only replicas no file names, which datanodes drop as orphans.
 */
export async function allocateChunks(ctx: OpContext, count: number, replication: number, placement: ChunkPlacement): Promise<PreparedChunk[]> {
  const chunks: PreparedChunk[] = [];
  for (let i = 0; i < count; i++) {
    const pipeline = placement.place(replication, [], i);
    chunks.push({ chunkId: await nextId(ctx.tx, 'chunk'), gen: await nextId(ctx.tx, 'gen'), baseGen: 0, baseLength: 0, pipeline, fileSizeBytes: 0 });
  }
  return chunks;
}

export interface CommitInput {
  ino: number;
  index: number;
  chunkId: number;
  gen: number;
  lengthBytes: number;
  mtimeMs: number;
  /**
   * Attribute changes the writer made while writing, applied after the commit if the caller may
   * make them (SetAttr's rules); if not, the commit goes alone and the attributes returned show it.
   */
  setAttr?: AttrChanges;
  /** The chunk was handed out ahead (allocateChunks): the file must not have one at `index` yet. */
  allocated?: boolean;
  /** The file's size the writer last saw: EBUSY if it is another now (someone else wrote it). */
  expectSizeBytes?: number;
  /**
   * An update: the version its replicas copied (stamp and length). EAGAIN if the chunk is another
   * now (a truncate cut it, an open with O_TRUNC dropped it): the writer prepares again and sends
   * its writes onto the chunk as it is, so cut bytes never come back.
   */
  base?: { gen: number; len: number };
}

export async function commitChunk(
  ctx: OpContext,
  input: CommitInput,
  checkLease: (ino: number) => void,
): Promise<Attr> {
  const { ino, index, chunkId, gen, lengthBytes } = input;
  checkIndex(ctx, index);
  if (!Number.isSafeInteger(lengthBytes) || lengthBytes < 0 || lengthBytes > ctx.settings.chunkSizeBytes) {
    throw new CairnError('EINVAL', `chunk length ${lengthBytes} out of range`);
  }
  const rec = await mustGetFile(ctx, ino);
  checkLease(ino);
  const key = keys.chunk(ino, index);
  const existing = await ctx.tx.getJson<ChunkRecord>(key);
  const ids = await ctx.tx.getJson<IdCounters>(keys.ids);
  if (ids === undefined || gen >= ids.gen || chunkId >= ids.chunk) throw new CairnError('EINVAL', 'unknown chunk version');
  // The superseded version's replicas become stale; the chunk map deletes them on commit.
  if ((existing !== undefined && input.allocated === true) || (input.expectSizeBytes !== undefined && rec.size !== input.expectSizeBytes)) {
    throw new CairnError('EBUSY', `inode ${ino} was written by another client meanwhile`);
  }
  if (input.base !== undefined && (existing?.gen !== input.base.gen || existing.len !== input.base.len)) {
    throw new CairnError('EAGAIN', `chunk ${index} of inode ${ino} changed since its update was prepared (prepare again)`);
  }
  if (existing !== undefined) {
    if (existing.id !== chunkId) throw new CairnError('EINVAL', `chunk ${index} of inode ${ino} is not chunk ${chunkId}`);
    if (gen <= existing.gen) throw new CairnError('EINVAL', `stale generation stamp ${gen} for chunk ${chunkId}`);
  }
  ctx.tx.putJson(key, { id: chunkId, gen, len: lengthBytes } satisfies ChunkRecord);
  const end = index * ctx.settings.chunkSizeBytes + lengthBytes;
  const mtime = input.mtimeMs > 0 ? input.mtimeMs : ctx.nowMs;
  const { nc: _none, ...chunked } = rec; // it has a chunk now
  const next = { ...chunked, size: Math.max(rec.size, end), mtime, ctime: ctx.nowMs };
  if (input.setAttr !== undefined) {
    try {
      return applyAttrChanges(ctx, ino, next, input.setAttr, `inode ${ino}`);
    } catch (err) {
      if (!(err instanceof CairnError)) throw err; // refused: nothing of it was written
    }
  }
  putInode(ctx.tx, ino, next);
  return toAttr(ino, next);
}

export async function truncate(
  ctx: OpContext,
  ino: number,
  sizeBytes: number,
  checkLease: (ino: number) => void,
): Promise<{ attr: Attr; freed: FreedChunk[] }> {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) throw new CairnError('EINVAL', `size ${sizeBytes} out of range`);
  if (sizeBytes > limits.fileBytesMax) throw new CairnError('EFBIG');
  const rec = await mustGetFile(ctx, ino);
  checkLease(ino);
  const chunkSize = ctx.settings.chunkSizeBytes;
  const keepChunks = Math.ceil(sizeBytes / chunkSize);
  const freed = await dropChunks(ctx, ino, rec, keepChunks);
  const tail = sizeBytes % chunkSize;
  if (tail !== 0) {
    // The replica keeps its longer bytes; the shorter length is what readers and future
    // copy-on-write updates use, so the cut-off bytes can never reappear.
    const lastKey = keys.chunk(ino, keepChunks - 1);
    const last = await ctx.tx.getJson<ChunkRecord>(lastKey);
    if (last !== undefined && last.len > tail) ctx.tx.putJson(lastKey, { ...last, len: tail });
  }
  const next = { ...rec, size: sizeBytes, mtime: ctx.nowMs, ctime: ctx.nowMs };
  putInode(ctx.tx, ino, next);
  return { attr: toAttr(ino, next), freed };
}

function checkIndex(ctx: OpContext, index: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index * ctx.settings.chunkSizeBytes >= limits.fileBytesMax) {
    throw new CairnError('EFBIG', `chunk index ${index} out of range`);
  }
}

/** The chunk ids of a file (for changing their wanted replica count). */
export async function fileChunkIds(ctx: OpContext, ino: number): Promise<number[]> {
  const prefix = keys.chunkPrefix(ino);
  const rows = await ctx.tx.range({ gte: prefix, lt: prefixEnd(prefix) });
  return rows.map(([, value]) => (JSON.parse(value) as ChunkRecord).id);
}
