// New chunks handed out ahead by the namenode (AllocateChunks), so that the first upload of a new
// chunk needs no PrepareChunk: a small file written through the mount then costs two namenode
// calls (the create and the commit) instead of three, and its close waits for one fewer. The
// commit binds the chunk to the file (CommitChunkRequest.allocated).
//
// A chunk in stock is a promise of the namenode's memory only: after a namenode restart, or once
// it is older than `maxAgeMs` (its pipeline may name a datanode that died since), it is not used;
// an upload whose handed-out chunk fails falls back to PrepareChunk (chunk-io.ts), and a commit
// the namenode no longer recognises empties the stock. Refills run in the background, one at a
// time, when the stock runs low; a namenode that does not know the call turns the stock off.

import { CairnError } from '../../common/errors.js';
import type { PrepareChunkReply__Output } from '../../proto/gen/cairn/PrepareChunkReply.js';
import type { NamenodeClient } from './namenode-client.js';

/** Chunks asked for at a time, and the stock level that triggers the next request. */
const batch = 32;
const lowWater = 8;
/**
 * A chunk older than this is not used: its pipeline was chosen too long ago. The namenode stops
 * counting unused ones against the client's allowance (256) after 5 minutes.
 */
const maxAgeMs = 120_000;

export class ChunkStock {
  private chunks: Array<{ chunk: PrepareChunkReply__Output; atMs: number }> = [];
  private refilling: Promise<void> | undefined;
  private off = false;

  constructor(
    private readonly namenode: NamenodeClient,
    /** The replication the chunks are placed for (uploads of files with another take none). */
    readonly replication: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A chunk for a new upload, if one is in stock; asks for more when the stock runs low. */
  take(): PrepareChunkReply__Output | undefined {
    const oldest = this.now() - maxAgeMs;
    while (this.chunks.length > 0 && (this.chunks[0] as { atMs: number }).atMs < oldest) this.chunks.shift();
    const next = this.chunks.shift();
    if (this.chunks.length < lowWater) this.refill();
    return next?.chunk;
  }

  /** The namenode no longer knows what it handed out (it restarted): nothing in stock is good. */
  drop(): void {
    this.chunks = [];
  }

  /** How many chunks are in stock (tests). */
  get size(): number {
    return this.chunks.length;
  }

  /** Waits for a refill in flight (tests). */
  async settled(): Promise<void> {
    await this.refilling;
  }

  private refill(): void {
    if (this.off || this.refilling !== undefined) return;
    this.refilling = this.namenode
      .allocateChunks(batch, this.replication)
      .then(
        (reply) => {
          const atMs = this.now();
          for (const chunk of reply.chunks) this.chunks.push({ chunk, atMs });
        },
        (err: unknown) => {
          // An older namenode without the call ("no method": EINVAL, or gRPC's UNIMPLEMENTED): stop
          // asking. Anything else (safe mode, a restart): ask again next time.
          if (err instanceof CairnError && (err.code === 'EINVAL' || err.code === 'ENOTSUP' || /UNIMPLEMENTED/.test(err.message))) this.off = true;
        },
      )
      .finally(() => {
        this.refilling = undefined;
      });
  }
}
