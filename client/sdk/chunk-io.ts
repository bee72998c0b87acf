// Moving the bytes of one chunk: uploading a run of bytes into a chunk through a pipeline (with
// recovery when a datanode fails), and reading a range from any live replica (falling back to
// the next on a connection error or a checksum mismatch).
//
// An upload keeps its bytes until the namenode has committed them, so that when a datanode
// in the pipeline dies the client can ask for a new pipeline (new generation stamp, failed
// nodes excluded) and send the same bytes again: an acknowledged byte is never lost.

import { CairnError } from '../../common/errors.js';
import { limits } from '../../common/limits.js';
import type { ChunkSink, DataTransferPool } from '../../common/transfer.js';
import type { WriteAck__Output } from '../../proto/gen/cairn/WriteAck.js';
import type { ChunkInfo__Output } from '../../proto/gen/cairn/ChunkInfo.js';
import type { PrepareChunkReply__Output } from '../../proto/gen/cairn/PrepareChunkReply.js';
import type { LocalReads } from './local-reads.js';
import type { ChunkStock } from './chunk-stock.js';
import { attrChangesToWire, type AheadOptions, type AttrChanges, type NamenodeClient, type WireAttr } from './namenode-client.js';

const uploadAttemptsMax = 4;
const streamDeadlineMs = 10 * 60 * 1000;
/** Between the tries of a finish run ahead while the namenode cannot be reached. */
const unreachableRetryMs = 200;

/** See ChunkUpload.finish. */
export interface CommitAhead {
  onSent: () => void;
  /**
   * Whether the finish tries again after its commit or a retry's prepare failed with `err`, the
   * caller having been answered at `answeredAtMs`: giving up loses writes it was told are done,
   * so a namenode out of reach is waited for (a mount: CairnFs.waitsForNamenode).
   */
  keepWaiting: (answeredAtMs: number, err: unknown) => boolean;
  /**
   * Whether no other client can have taken the file's lease since its create: asked when the
   * commit is of a chunk handed out ahead, which takes the lease only as it lands (and is refused
   * EBUSY if another writer took it meanwhile), so its caller may not be answered before.
   */
  vouched: () => boolean;
}

export interface UploadTarget {
  inode: number;
  index: number;
  offsetInChunk: number;
  wantReplicas: number;
  /**
   * The file's size as the writer saw it when it took the lease again (see checkPrepared): a
   * chunk handed out ahead commits only if the file still has it.
   */
  sizeSeen?: number;
}

/** A committed replica set: the chunk version and the datanodes that hold it. */
export interface CommittedReplica {
  chunkId: number;
  gen: number;
  addresses: string[];
}

/**
 * Makes replicas committed without sync durable (fsync on their datanodes). Each chunk needs at
 * least one replica on disk; a datanode that is gone since only loses its own copy. Returns the
 * addresses that synced.
 */
export async function syncReplicas(pool: DataTransferPool, replicas: readonly CommittedReplica[], deadlineMs: number): Promise<Set<string>> {
  const byAddress = new Map<string, CommittedReplica[]>();
  for (const r of replicas) {
    for (const address of r.addresses) {
      let list = byAddress.get(address);
      if (list === undefined) byAddress.set(address, (list = []));
      list.push(r);
    }
  }
  const synced = new Set<CommittedReplica>();
  const syncedAt = new Set<string>();
  const errors: string[] = [];
  await Promise.all(
    [...byAddress].map(async ([address, list]) => {
      try {
        await pool.sync(address, { replicas: list.map((r) => ({ chunkId: r.chunkId, gen: r.gen })) }, deadlineMs);
        for (const r of list) synced.add(r);
        syncedAt.add(address);
      } catch (err) {
        errors.push(`${address}: ${(err as Error).message}`);
      }
    }),
  );
  const missed = replicas.filter((r) => !synced.has(r));
  if (missed.length > 0) throw new CairnError('EIO', `no replica of chunk ${missed[0]?.chunkId} could be synced (${errors.join('; ')})`);
  return syncedAt;
}

/**
 * A write-behind upload of at most this many bytes waits for its finish (close, fsync) to open
 * its pipeline, and then sends the header, the data and the end in one write: one wake-up of each
 * datanode instead of three (tar x, git: most files are small). Below the socket's buffer size.
 */
const heldBytesMax = 64 * 1024;

export class ChunkUpload {
  /** Every write of the upload in order, kept until the commit (for a resend). */
  private readonly writes: Array<{ at: number; data: Buffer }> = [];
  /** What the writes' owners gave to be called once the upload no longer needs their bytes (`write`'s retain). */
  private readonly releases: Array<() => void> = [];
  /** Where the stream's next plain DATA frame lands. */
  private streamEnd: number;
  private prepared: PrepareChunkReply__Output | undefined;
  /** The stock `prepared` came from when it was handed out ahead rather than prepared for this file and index. */
  private handedOutBy: ChunkStock | undefined;
  private stream: ChunkSink | undefined;
  private readonly exclude = new Set<string>();
  private broken = false;
  /** Write-behind: the prepare and the pipeline being set up, then the writes made meanwhile sent. */
  private opening: Promise<void> | undefined;
  /** Write-behind: what refused the upload (the answer of every later write and of the finish). */
  private refusal: CairnError | undefined;
  /** Ended ahead of its finish (`endAhead`): the pipeline's acknowledgement, and how many writes the stream carried. */
  private endedAhead: { ack: Promise<WriteAck__Output>; writes: number } | undefined;
  /** Bytes written so far (write-behind holds up to `heldBytesMax` of them until the finish). */
  private keptBytes = 0;
  /**
   * Write-behind of a new chunk: a small upload waits for its finish (`heldBytesMax`). An update
   * of a chunk does not: its datanodes start copying the base when the header arrives.
   */
  private readonly holdSmall: boolean;

  /** Looks at the first prepare's answer before any byte is sent; may refuse it by throwing. */
  private checkPrepared: ((prepared: PrepareChunkReply__Output) => void) | undefined;
  /**
   * Write-behind: the first write returns before the namenode prepared the chunk and the
   * pipeline is open (they are set up meanwhile, and the writes made until then follow); a
   * refusal (EBUSY, ENOSPC, EACCES) is then the answer of a later write or of the finish, as NFS
   * and MooseFS report write errors at close. Otherwise the first write waits and is refused itself.
   */
  private readonly behind: boolean;
  /**
   * Chunks handed out ahead (chunk-stock.ts), for an upload of a chunk the file does not have
   * yet: the first attempt takes one instead of calling PrepareChunk; a retry prepares.
   */
  private stock: ChunkStock | undefined;
  /** The chunk's next version, prepared by the commit of its last one: the first attempt's, as `stock`. */
  private given: PrepareChunkReply__Output | undefined;
  /** Once a finish's commit was written with `ahead` (its caller answered), its later namenode calls are work run ahead. */
  private aheadCalls: AheadOptions = {};
  /** The last attempt failed at its PrepareChunk (not at a datanode). */
  private namenodeFailed = false;

  constructor(
    private readonly namenode: NamenodeClient,
    private readonly pool: DataTransferPool,
    readonly target: UploadTarget,
    opts: { checkPrepared?: (prepared: PrepareChunkReply__Output) => void; behind?: boolean; holdSmall?: boolean; stock?: ChunkStock; given?: PrepareChunkReply__Output } = {},
  ) {
    this.checkPrepared = opts.checkPrepared;
    this.behind = opts.behind ?? false;
    this.holdSmall = opts.holdSmall ?? false;
    this.stock = opts.stock;
    this.given = opts.given;
    this.streamEnd = target.offsetInChunk;
  }

  /**
   * Writes bytes (owned by the upload from now on) at `at` within the chunk and streams them
   * down the pipeline: one update can carry scattered writes (a database's pages). `retain` is
   * called when the upload keeps them, and what it returns once `finish` has settled.
   */
  async write(data: Buffer, at: number, retain?: () => () => void): Promise<void> {
    if (data.length === 0) return;
    if (this.refusal !== undefined) throw this.refusal;
    if (this.endedAhead !== undefined) {
      // The stream was ended ahead (`endAhead`): everything leaves again, on a new pipeline, at the finish.
      this.endedAhead = undefined;
      this.broken = true;
      this.stream?.abort();
    }
    if (this.opening !== undefined || (this.behind && this.stream === undefined && !this.broken)) {
      this.keep(at, data, retain);
      this.keptBytes += data.length;
      // A small upload leaves with its finish: header, data and end in one write.
      if (this.holdSmall && this.opening === undefined && this.keptBytes <= heldBytesMax && this.leaseWaitsForCommit()) return;
      this.opening ??= this.openBehind();
      return;
    }
    if (this.stream === undefined && !this.broken) {
      try {
        await this.open();
      } catch (err) {
        // A refusal (EBUSY: another client took the write lease; EACCES, ENOSPC; a stale view) is
        // this write's answer, and the bytes are not kept; anything else is retried at finish.
        if (isRefusal(err)) throw err;
        this.broken = true;
      }
    }
    this.keep(at, data, retain);
    if (this.broken) return; // resent in full at finish
    try {
      await this.send(data, at);
    } catch {
      // Whatever failed is retried with a fresh pipeline when the upload finishes.
      this.broken = true;
      this.stream?.abort();
    }
  }

  /**
   * Keeps a write's bytes until `finish` settles, holding their memory for its owner first (a
   * retain that fails leaves nothing kept). No write joins after `finish` began: the file
   * handle's owner runs its calls one at a time (OpenFiles' queue), and a datanode acknowledges
   * only after the END that follows all of a stream's data, so an acknowledged stream sends no more.
   */
  private keep(at: number, data: Buffer, retain: (() => () => void) | undefined): void {
    const release = retain?.();
    this.writes.push({ at, data });
    if (release !== undefined) this.releases.push(release);
  }

  /** Write-behind: opens the pipeline, then sends every write made so far, in order (more may join meanwhile). */
  private async openBehind(): Promise<void> {
    try {
      try {
        await this.open();
      } catch (err) {
        // Refusals are the answer of a later write or the finish; anything else is retried at finish (as write() does).
        if (!isRefusal(err)) this.broken = true;
        else this.refusal = err instanceof CairnError ? err : new CairnError('EBUSY', 'another client wrote the file before these writes reached it');
        this.stream?.abort();
        return;
      }
      try {
        for (let i = 0; i < this.writes.length; i++) {
          const { at, data } = this.writes[i] as { at: number; data: Buffer };
          await this.send(data, at);
        }
      } catch {
        // A datanode failed: resent in full with a fresh pipeline when the upload finishes.
        this.broken = true;
        this.stream?.abort();
      }
    } finally {
      this.opening = undefined; // no await since the loop's last check: no write slips between
    }
  }

  /**
   * The writer is likely done with the chunk (tar, cp -p and rsync set a file's owner, mode and
   * times just before they close it): the upload's end leaves now, a held small upload with its
   * header and data, so that the datanodes store the replicas while the writer does its last
   * things, and the finish only waits for their acknowledgement and commits. A write after it
   * sends everything again at the finish, on a new pipeline (the replicas ended ahead are never
   * committed, and the datanodes drop them as any uncommitted version).
   */
  endAhead(): void {
    if (this.endedAhead !== undefined || this.broken || this.refusal !== undefined || this.writes.length === 0) return;
    // Write-behind still opening the pipeline: once its writes are sent.
    if (this.opening !== undefined) void this.opening.then(() => this.endAhead());
    else if (this.stream !== undefined) this.endNow(this.stream, this.writes.length);
    else this.opening = this.sendEnded();
  }

  private endNow(stream: ChunkSink, writes: number): void {
    const ack = stream.finish(false);
    ack.catch(() => undefined); // the finish reads it, or it is dropped
    this.endedAhead = { ack, writes };
  }

  /** endAhead of a held upload: opens its pipeline (to each node directly, as the finish would) and ends it. */
  private async sendEnded(): Promise<void> {
    try {
      const carried = await this.resend(true);
      this.endNow(this.stream as ChunkSink, carried);
    } catch {
      // The finish tries again, as it would have at its first attempt.
      this.broken = true;
      this.stream?.abort();
    } finally {
      this.opening = undefined;
    }
  }

  private async send(data: Buffer, at: number): Promise<void> {
    const stream = this.stream as ChunkSink;
    for (let done = 0; done < data.length; done += limits.dataFrameBytes) {
      const piece = data.subarray(done, done + limits.dataFrameBytes);
      if (at + done === this.streamEnd) await stream.write(piece);
      else await stream.writeAt(at + done, piece);
      this.streamEnd = at + done + piece.length;
    }
  }

  /**
   * Ends the upload: waits for the pipeline's acknowledgement and commits. With `sync` (an
   * fsync) every replica and the commit are on disk first; otherwise the replicas may still be
   * in their datanodes' page cache. `releaseLease`: the writer may be done after this commit (one
   * call instead of two). `setAttr`: attribute changes to apply with the commit (the namenode
   * applies them if the caller may; the attributes returned show whether it did). Returns the
   * new attributes and where the replicas are.
   */
  async finish(opts: {
    sync: boolean;
    releaseLease?: boolean;
    setAttr?: AttrChanges;
    /** Ask the commit for the chunk's next version (the writer keeps the lease and will likely update the chunk again). */
    prepareNext?: boolean;
    /**
     * A caller answered once the commit is written (a mount's close, early-closes.ts): `onSent`
     * is told then (once), and runs the rest of the finish ahead of the client's later calls
     * (SyncTracker.runAhead); so the calls of its retries are marked `ahead`, and a namenode
     * that cannot be reached is waited for, while `keepWaiting`, instead of failing the upload.
     * Only a commit the namenode cannot refuse is answered so: one under a lease its prepare
     * confirmed, or a chunk handed out ahead that the caller `vouched` for.
     */
    ahead?: CommitAhead;
  }): Promise<{ attr: WireAttr; replica: CommittedReplica; next: PrepareChunkReply__Output | undefined }> {
    try {
      return await this.finishAttempts(opts);
    } finally {
      // Committed, or failed for good: nothing sends or reads the writes' bytes again. Every
      // stream that carried them was acknowledged (the bytes left) or aborted (its socket
      // destroyed, so it sends nothing more).
      this.stream?.abort();
      for (const release of this.releases.splice(0)) release();
    }
  }

  private async finishAttempts(opts: {
    sync: boolean;
    releaseLease?: boolean;
    setAttr?: AttrChanges;
    prepareNext?: boolean;
    ahead?: CommitAhead;
  }): Promise<{ attr: WireAttr; replica: CommittedReplica; next: PrepareChunkReply__Output | undefined }> {
    const { sync, ahead: answering } = opts;
    await this.opening;
    if (this.refusal !== undefined) throw this.refusal;
    let answeredAtMs: number | undefined; // once the commit was written: a namenode out of reach is waited for
    const onSent = (): void => {
      if (answeredAtMs !== undefined || answering === undefined) return;
      answeredAtMs = Date.now();
      this.aheadCalls = { ahead: true };
      answering.onSent();
    };
    let ahead: Promise<WriteAck__Output> | undefined;
    if (this.endedAhead !== undefined) {
      // Ended ahead: its acknowledgement is the first attempt's, unless a write joined after its end.
      if (this.endedAhead.writes === this.writes.length && !this.broken) ahead = this.endedAhead.ack;
      else this.broken = true;
      this.endedAhead = undefined;
    }
    let lastError: unknown;
    for (let attempt = 0; attempt < uploadAttemptsMax; attempt++) {
      let atNamenode = false;
      this.namenodeFailed = false;
      try {
        if (ahead === undefined && (this.broken || this.stream === undefined)) await this.resend(this.stream === undefined && !this.broken);
        const early = ahead;
        ahead = undefined;
        let ack = await (early ?? (this.stream as ChunkSink).finish(sync));
        const prepared = this.prepared as PrepareChunkReply__Output;
        // Ended ahead without a sync: an fsync's commit needs the replicas on disk first, and a
        // node that stored one but cannot sync it now (it died since) holds none that counts.
        if (early !== undefined && sync) ack = await this.syncedOf(ack, prepared);
        for (const failed of ack.failed) this.exclude.add(failed);
        const lastChance = attempt === uploadAttemptsMax - 1;
        if (ack.datanodeIds.length < Math.min(this.target.wantReplicas, prepared.pipeline.length) && !lastChance && prepared.baseGen === 0) {
          // A node in the pipeline failed: try again with a replacement rather than commit fewer replicas.
          this.broken = true;
          continue;
        }
        // A commit that may have happened (its reply lost) must not fail a retry's check.
        if (this.allocated) this.checkPrepared = undefined;
        atNamenode = true;
        const { attr, next } = await this.namenode.commitChunk({
          inode: this.target.inode,
          index: this.target.index,
          chunkId: prepared.chunkId,
          gen: prepared.gen,
          lengthBytes: ack.lengthBytes,
          datanodeIds: ack.datanodeIds,
          mtimeMs: Date.now(),
          sync,
          releaseLease: opts.releaseLease ?? false,
          ...(opts.setAttr !== undefined && { setAttr: attrChangesToWire(opts.setAttr) }),
          allocated: this.allocated,
          ...(this.allocated && this.target.sizeSeen !== undefined && { checkSize: true, expectSizeBytes: this.target.sizeSeen }),
          prepareNext: opts.prepareNext ?? false,
        }, { ...this.aheadCalls, ...((!this.allocated || answering?.vouched() === true) && { onSent }) });
        return { attr, replica: { chunkId: prepared.chunkId, gen: prepared.gen, addresses: addressesOf(prepared, ack.datanodeIds) }, next };
      } catch (err) {
        // A retry's prepare found the file changed (its first attempt had a chunk handed out
        // ahead, which never reached the namenode): the writes were accepted, so refused, as behind.
        if (err instanceof StaleViewError) throw new CairnError('EBUSY', 'another client wrote the file before these writes reached it');
        // Running out of datanodes after excluding failed ones: the failure that caused it matters.
        if (err instanceof CairnError && !isRetryable(err)) throw lastError !== undefined && err.code === 'ENOSPC' ? lastError : err;
        // The namenode's EAGAIN: it no longer knows the version (it restarted; so is the rest of
        // a stock), or the chunk changed since (a truncate): prepare again, excluding no datanode.
        const refusedByNamenode = err instanceof CairnError && err.code === 'EAGAIN';
        if (refusedByNamenode) this.handedOutBy?.drop();
        // Once its caller was answered, a namenode out of reach (restarting) is waited for. The
        // commit may have happened before its answer was lost, so the bytes go again on a newly
        // prepared version (the same bytes at the same places), as for any retry.
        if ((atNamenode || this.namenodeFailed) && answeredAtMs !== undefined && answering?.keepWaiting(answeredAtMs, err) === true) {
          this.broken = true;
          attempt--;
          await new Promise((resolve) => setTimeout(resolve, unreachableRetryMs));
          continue;
        }
        lastError = err;
        // A datanode failed to stream or store: the pipeline's first node is the one the client
        // saw fail (it reports the others' failures in its ack). A failed namenode call (its
        // connection lost after the commit was sent, a restart) says nothing about the datanodes,
        // and excluding a healthy one would commit the retry with a replica too few.
        const first = this.prepared?.pipeline[0]?.id;
        if (first !== undefined && !refusedByNamenode && !atNamenode && !this.namenodeFailed) this.exclude.add(first);
        this.broken = true;
      }
    }
    throw lastError instanceof CairnError ? lastError : new CairnError('EIO', `chunk upload failed: ${String(lastError)}`);
  }

  /** `ack` (of a stream ended without sync) with its replicas synced: the nodes that could not sync them count as failed. */
  private async syncedOf(ack: WriteAck__Output, prepared: PrepareChunkReply__Output): Promise<WriteAck__Output> {
    const holders = prepared.pipeline.filter((dn) => ack.datanodeIds.includes(dn.id));
    const syncedAt = await syncReplicas(this.pool, [{ chunkId: prepared.chunkId, gen: prepared.gen, addresses: holders.map((dn) => dn.address) }], streamDeadlineMs);
    const synced = holders.filter((dn) => syncedAt.has(dn.address)).map((dn) => dn.id);
    return { ...ack, datanodeIds: synced, failed: [...ack.failed, ...ack.datanodeIds.filter((id) => !synced.includes(id))] };
  }

  /** Whether the chunk of this attempt was handed out ahead (its commit binds it). */
  private get allocated(): boolean {
    return this.handedOutBy !== undefined;
  }

  abort(): void {
    this.stream?.abort();
  }

  /** Whether no write joined the upload yet (its first was refused). */
  get empty(): boolean {
    return this.writes.length === 0;
  }

  /** `fanOut`: a held new chunk's first attempt, sent to every node of its pipeline directly (FanOutWriteStream). */
  private async open(fanOut = false): Promise<void> {
    const given = this.given;
    const handedOut = given === undefined ? this.stock?.take() : undefined;
    this.handedOutBy = handedOut !== undefined ? this.stock : undefined;
    // The first attempt only: a retry prepares, excluding the nodes that failed.
    this.stock = undefined;
    this.given = undefined;
    let prepared = given ?? handedOut;
    if (prepared === undefined) {
      try {
        prepared = await this.namenode.prepareChunk(this.target.inode, this.target.index, [...this.exclude], this.aheadCalls);
      } catch (err) {
        this.namenodeFailed = true;
        throw err;
      }
    }
    this.prepared = prepared;
    if (!this.allocated) {
      // The first prepare only. A chunk handed out ahead is checked by its commit instead (EBUSY
      // if another writer made that chunk or changed the file's size meanwhile); if the attempt
      // fails before its commit, the retry's prepare checks.
      const check = this.checkPrepared;
      this.checkPrepared = undefined;
      check?.(prepared);
    }
    const [first, ...rest] = prepared.pipeline;
    if (first === undefined) throw new CairnError('EIO', 'the namenode gave an empty pipeline');
    const header = {
      chunkId: prepared.chunkId,
      gen: prepared.gen,
      baseGen: prepared.baseGen,
      baseLengthBytes: prepared.baseLengthBytes,
      // Given by the base's synced commit, whose reply the namenode sent once it was durable.
      baseDurable: prepared === given,
      offsetBytes: this.target.offsetInChunk,
      finalLengthBytes: -1,
      token: prepared.token,
      downstream: rest,
    };
    this.stream =
      fanOut && prepared.baseGen === 0
        ? this.pool.openFanOut(prepared.pipeline, header, streamDeadlineMs)
        : this.pool.openWrite(first.address, header, streamDeadlineMs);
  }

  /**
   * Whether holding the writes until the finish takes the write lease no later than it would be
   * taken anyway: the writer holds it already (no prepare to check), or a chunk handed out ahead
   * will carry the upload (its commit takes the lease). Otherwise the first write's prepare takes
   * it, and holding would leave the file open to another writer until the close.
   */
  private leaseWaitsForCommit(): boolean {
    return this.checkPrepared === undefined || (this.stock?.size ?? 0) > 0;
  }

  /**
   * Sends every write again on a new pipeline. `held`: the first attempt, of writes held until the
   * finish: they leave with its end, to each node of the pipeline directly (`open`'s fanOut).
   */
  private async resend(held = false): Promise<number> {
    this.stream?.abort();
    await this.open(held);
    if (held) this.stream?.hold();
    this.broken = false;
    this.streamEnd = this.target.offsetInChunk;
    const carried = this.writes.length;
    // Held writes leave at once, all of them: adjoining ones as one frame, one write on each datanode
    // (tar writes a file in pieces of its 10 KiB records; each frame was a pwrite on three datanodes).
    for (const { at, data } of held ? joined(this.writes) : this.writes) await this.send(data, at);
    return held ? carried : this.writes.length; // the writes the stream carries (more may join while it sends)
  }
}

/**
 * A writer took the file's lease again and found it changed meanwhile (another client wrote it
 * while this writer held no lease): the write must be redone from the file as it is now.
 */
export class StaleViewError extends Error {
  constructor(readonly fileSizeBytes: number) {
    super(`the file changed while its lease was free (size now ${fileSizeBytes})`);
  }
}

/** `writes` with each run of adjoining ones (each starting where the one before ended) made one. */
export function joined(writes: ReadonlyArray<{ at: number; data: Buffer }>): Array<{ at: number; data: Buffer }> {
  const out: Array<{ at: number; data: Buffer }> = [];
  let run: Array<{ at: number; data: Buffer }> = [];
  const flush = (): void => {
    const first = run[0];
    if (first !== undefined) out.push(run.length === 1 ? first : { at: first.at, data: Buffer.concat(run.map((w) => w.data)) });
    run = [];
  };
  for (const w of writes) {
    const last = run[run.length - 1];
    if (last !== undefined && last.at + last.data.length !== w.at) flush();
    run.push(w);
  }
  flush();
  return out;
}

/** The addresses of the pipeline's nodes that hold a replica. */
function addressesOf(prepared: PrepareChunkReply__Output, datanodeIds: readonly string[]): string[] {
  const held = new Set(datanodeIds);
  return prepared.pipeline.filter((dn) => held.has(dn.id)).map((dn) => dn.address);
}

/** A refusal of an upload's prepare: the namenode's answer (or a stale view), which a retry would not change. */
function isRefusal(err: unknown): err is CairnError | StaleViewError {
  return err instanceof StaleViewError || (err instanceof CairnError && !isRetryable(err));
}

function isRetryable(err: CairnError): boolean {
  // Namespace answers (ENOENT, EBUSY, EINVAL, ENOSPC, EACCES...) will not change on retry.
  return ['EIO', 'ECONNREFUSED', 'ETIMEDOUT', 'EAGAIN', 'EAUTH', 'EEXIST'].includes(err.code);
}

/**
 * Reads `length` bytes at `offset` of one chunk into `out` at `outOffset`, trying each replica
 * in turn. Bytes past the chunk's stored length are zeros (a hole or a grown file).
 * Returns the datanode ids that failed (for the caller to refresh locations).
 */
export async function readChunkInto(
  pool: DataTransferPool,
  chunk: ChunkInfo__Output,
  offset: number,
  length: number,
  out: Buffer,
  outOffset: number,
  deadlineMs: number,
  local?: LocalReads,
): Promise<void> {
  const stored = Math.max(0, Math.min(length, chunk.lengthBytes - offset));
  out.fill(0, outOffset + stored, outOffset + length);
  if (stored === 0) return;
  const errors: string[] = [];
  for (const location of chunk.locations) {
    // A replica on this machine is read from its file; when it cannot be (or fails its
    // checksums) the datanode serves it, and reports it if it is corrupt.
    if (local !== undefined && (await local.read(location.address, chunk, offset, stored, out, outOffset, deadlineMs))) return;
    try {
      let at = outOffset;
      for await (const data of pool.read(
        location.address,
        { chunkId: chunk.chunkId, gen: chunk.gen, offsetBytes: offset, lengthBytes: stored, token: chunk.token },
        deadlineMs,
      )) {
        if (at + data.length > outOffset + stored) throw new CairnError('EIO', 'datanode sent more than asked');
        data.copy(out, at);
        at += data.length;
      }
      if (at !== outOffset + stored) throw new CairnError('EIO', `short read from ${location.address}`);
      return;
    } catch (err) {
      errors.push(`${location.address}: ${(err as Error).message}`);
    }
  }
  throw new CairnError('EIO', `no replica of chunk ${chunk.chunkId} could be read (${errors.join('; ') || 'no live replica'})`);
}
