// Sequential reads of large local replicas past the page cache, with read-ahead (fast-reads.ts).
//
// The fast path read a replica through the page cache: its pages were filled, then copied into
// the reply, and the kernel filled the FUSE file's pages with the same bytes again. On this
// virtual machine, whose free memory goes back to its host, filling fresh pages is the cost:
// the mount's kernel time for a cold 1 GiB read was 1.0-1.35 s, against 0.46 s with O_DIRECT.
// But a synchronous O_DIRECT read leaves the disk idle while the reply is written, and lost what
// the page cache's read-ahead gave (506-744 against 553-596 MiB/s in a quick test).
//
// So a large sequential read of a large replica (the kernel's read-ahead sends READs of 128 KiB
// and more, each where the last ended) is read with O_DIRECT in blocks of `blockBytes` into
// page-aligned shared memory, and the blocks after it are read ahead by a thread of this
// reader's own (`prefetch-worker.ts`): the reader asks it for a block with a message and waits
// for one still in flight with Atomics.wait. Small reads (random 4 KiB reads), large reads out
// of order and small replicas stay in the page cache, as before. Main thread only (fast-path.ts). Each
// window is verified against the replica's checksums when it is copied out; a bad one sends the
// read to the main thread (which reads through the datanode and reports it), and a file system
// that refuses O_DIRECT, or a failed direct read, leaves the replica to the buffered path.

import { closeSync, constants as fsConstants, openSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { firstBadWindow, windowBytes } from '../../common/checksum.js';
import { directAlignBytes } from '../../common/aligned.js';

/** Bytes a block holds: what one direct read reads. */
export const blockBytes = 2 * 1024 * 1024;
/** Blocks kept per reader (shared memory: 8 MiB). */
const slotCount = 4;
/** Blocks read ahead of a sequential reader. */
const aheadBlocks = 2;
/** Reads from this size on, of replicas from `directReplicaMinBytes` on, are read direct. */
export const directReadMinBytes = 128 * 1024;
export const directReplicaMinBytes = 4 * 1024 * 1024;
/**
 * How long a reader waits for a block in flight. A thread that took longer (or never started)
 * has its slots retired, since its read may still land in them, and no more is asked of it.
 */
const waitMs = 2_000;

/** Slot states, in `state` (shared with the prefetch thread); 0: never used. */
const inFlight = 1;
const done = 2;
const failed = 3;

/** The slots' memory, shared by a reader and its prefetch thread. */
export interface SlotMemory {
  data: Buffer;
  /** Each slot's state (`inFlight`, `done`, `failed`). */
  state: Int32Array;
  /** Each slot's bytes read. */
  got: Int32Array;
}

/** A replica as the direct path knows it. */
export interface DirectSource {
  path: string;
  lengthBytes: number;
  sums?: number[];
  /** Its O_DIRECT descriptor; -1: refused or failed (read through the page cache). */
  dfd?: number;
  /** Where the last large read of it ended (a read starting there is sequential). */
  nextOffset?: number;
}

interface Slot {
  owner: DirectSource | undefined;
  block: number;
  lastUse: number;
  /** Its read never answered: never used again. */
  retired?: boolean;
}

const prefetchUrl = new URL('./prefetch-worker.js', import.meta.url);

export class DirectReads {
  private readonly memory = new WebAssembly.Memory({
    initial: (slotCount * blockBytes) / 65536,
    maximum: (slotCount * blockBytes) / 65536,
    shared: true,
  });
  private readonly shared: SlotMemory = {
    data: Buffer.from(this.memory.buffer),
    state: new Int32Array(new SharedArrayBuffer(slotCount * 4)),
    got: new Int32Array(new SharedArrayBuffer(slotCount * 4)),
  };
  private readonly slots: Slot[] = Array.from({ length: slotCount }, () => ({ owner: undefined, block: -1, lastUse: 0 }));
  private worker: Worker | undefined;
  /** The prefetch thread failed or stalled: this reader reads every block itself. */
  private noPrefetch = false;
  private uses = 0;
  /** Blocks read by this thread itself and by the prefetch thread (for tests). */
  readonly blocksRead = { here: 0, ahead: 0 };

  constructor(private readonly workerUrl: URL = prefetchUrl) {}

  /**
   * Whether a read of `length` bytes at `offset` of `src` should come here: a large read of a
   * large replica, sequential (where the last large read of it ended, or at its start). A large
   * random read stays in the page cache (a 2 MiB block for 128 KiB would read 16 times the bytes).
   */
  static wants(src: DirectSource, offset: number, length: number): boolean {
    if (src.dfd === -1 || length < directReadMinBytes || src.lengthBytes < directReplicaMinBytes) return false;
    const sequential = offset === 0 || src.nextOffset === offset;
    src.nextOffset = offset + length;
    return sequential;
  }

  /**
   * Copies [offset, offset + length) of `src` (within its stored bytes) into `out` at `at`,
   * verified; false when a window fails its checksum. Throws when the direct read itself fails
   * (the caller reads through the page cache instead). `src.sums` must be loaded.
   */
  read(src: DirectSource, offset: number, length: number, out: Buffer, at: number): boolean {
    src.dfd ??= openSync(src.path, fsConstants.O_RDONLY | fsConstants.O_DIRECT);
    const end = offset + length;
    const lastBlock = Math.floor((end - 1) / blockBytes);
    for (let block = Math.floor(offset / blockBytes); block <= lastBlock; block++) {
      const k = this.ready(src, block);
      const base = block * blockBytes;
      const from = Math.max(offset, base);
      const to = Math.min(end, base + blockBytes);
      // The windows around [from, to), all within this block (windows divide blocks).
      const vFrom = from - (from % windowBytes);
      const vTo = Math.min(src.lengthBytes, Math.ceil(to / windowBytes) * windowBytes, base + blockBytes);
      if (Atomics.load(this.shared.got, k) < vTo - base) throw new Error('short direct read');
      const slot = this.shared.data.subarray(k * blockBytes, (k + 1) * blockBytes);
      if (firstBadWindow(slot.subarray(vFrom - base, vTo - base), vFrom, src.sums as number[]) >= 0) return false;
      slot.copy(out, at + (from - offset), from - base, to - base);
    }
    // Reads come here when sequential (`wants`): the next blocks are read ahead.
    for (let b = lastBlock + 1; b <= lastBlock + aheadBlocks && b * blockBytes < src.lengthBytes; b++) this.prefetch(src, b);
    return true;
  }

  /** Forgets `src`'s blocks (its offer is withdrawn) and closes its descriptor. */
  drop(src: DirectSource): void {
    for (let k = 0; k < slotCount; k++) {
      const slot = this.slots[k] as Slot;
      if (slot.owner !== src) continue;
      // The prefetch thread must be done with the descriptor. A retired slot's read may still
      // come, from a descriptor number reused meanwhile: into that slot alone, never read again.
      if (slot.retired !== true) this.settleOrRetire(k);
      slot.owner = undefined;
    }
    if (src.dfd !== undefined && src.dfd >= 0) {
      try {
        closeSync(src.dfd);
      } catch {
        // already closed
      }
    }
    if (src.dfd !== -1) src.dfd = undefined; // a refusal stays known
    src.nextOffset = undefined;
  }

  /** The slot holding `block` of `src`, read (by the prefetch thread, or now). */
  private ready(src: DirectSource, block: number): number {
    let k = this.find(src, block);
    if (k >= 0 && this.settleOrRetire(k) !== done) {
      const slot = this.slots[k] as Slot;
      if (slot.retired !== true) slot.owner = undefined; // failed: read again below
      k = -1;
    }
    if (k < 0) {
      k = this.take();
      this.claim(k, src, block);
      try {
        fillSlot(this.shared, k, src.dfd as number, block, src.lengthBytes);
      } catch (err) {
        (this.slots[k] as Slot).owner = undefined;
        throw err;
      }
      this.blocksRead.here++;
    }
    (this.slots[k] as Slot).lastUse = ++this.uses;
    return k;
  }

  /** Asks the prefetch thread for `block` of `src`, unless it is here or on its way. */
  private prefetch(src: DirectSource, block: number): void {
    if (this.noPrefetch || this.find(src, block) >= 0) return;
    let worker: Worker;
    try {
      worker = this.thread();
    } catch {
      this.noPrefetch = true; // no thread to be had: this reader reads every block itself
      return;
    }
    const k = this.take(true);
    if (k < 0) return;
    this.claim(k, src, block);
    (this.slots[k] as Slot).lastUse = ++this.uses;
    worker.postMessage({ slot: k, fd: src.dfd, block, lengthBytes: src.lengthBytes });
    this.blocksRead.ahead++;
  }

  /** Slot `k` is now for `block` of `src`, its read on the way. */
  private claim(k: number, src: DirectSource, block: number): void {
    const slot = this.slots[k] as Slot;
    slot.owner = src;
    slot.block = block;
    Atomics.store(this.shared.got, k, 0);
    Atomics.store(this.shared.state, k, inFlight);
  }

  private find(src: DirectSource, block: number): number {
    return this.slots.findIndex((s) => s.owner === src && s.block === block && s.retired !== true);
  }

  /**
   * A slot to fill: a free one, else the least recently used. `noWait`: -1 rather than wait for
   * a block in flight (a prefetch never waits), and never one used by the read being served.
   */
  private take(noWait = false): number {
    let best = -1;
    for (let k = 0; k < slotCount; k++) {
      const slot = this.slots[k] as Slot;
      if (slot.retired === true) continue;
      if (slot.owner === undefined) return k;
      if (noWait && (Atomics.load(this.shared.state, k) === inFlight || slot.lastUse === this.uses)) continue;
      if (best < 0 || slot.lastUse < (this.slots[best] as Slot).lastUse) best = k;
    }
    if (best >= 0) {
      this.settle(best);
      (this.slots[best] as Slot).owner = undefined;
    } else if (!noWait) {
      throw new Error('no slot left for direct reads');
    }
    return best;
  }

  /** As `settle`, but a read that never answered is `failed` (its slot retired) rather than thrown. */
  private settleOrRetire(k: number): number {
    try {
      return this.settle(k);
    } catch {
      return failed;
    }
  }

  /** Waits until slot `k` is not in flight; its state then. */
  private settle(k: number): number {
    const deadline = Date.now() + waitMs;
    for (let left = waitMs; Atomics.load(this.shared.state, k) === inFlight && left > 0; left = deadline - Date.now()) {
      Atomics.wait(this.shared.state, k, inFlight, left);
    }
    const state = Atomics.load(this.shared.state, k);
    if (state === inFlight) {
      this.noPrefetch = true;
      for (let j = 0; j < slotCount; j++) if (Atomics.load(this.shared.state, j) === inFlight) (this.slots[j] as Slot).retired = true;
      throw new Error('the read-ahead thread did not answer');
    }
    return state;
  }

  private thread(): Worker {
    if (this.worker === undefined) {
      this.worker = new Worker(this.workerUrl, { workerData: { data: this.memory.buffer, state: this.shared.state, got: this.shared.got } });
      this.worker.unref(); // the mount's readers keep the process alive, not this
      this.worker.on('error', () => {
        // Its reads in flight never happen: their slots are free again.
        this.noPrefetch = true;
        for (let k = 0; k < slotCount; k++) if (Atomics.load(this.shared.state, k) === inFlight) Atomics.store(this.shared.state, k, failed);
      });
    }
    return this.worker;
  }
}

/** Bytes of `block` to read: a whole block, or up to the aligned end of the replica's data. */
function alignedSpan(block: number, lengthBytes: number): number {
  const bytes = Math.min(blockBytes, lengthBytes - block * blockBytes);
  return Math.ceil(bytes / directAlignBytes) * directAlignBytes;
}

/**
 * Reads `block` into slot `k` with a direct descriptor, and marks the slot done with the bytes
 * read (short at the file's end), or failed (and rethrows). The reader and its prefetch thread
 * both fill slots so.
 */
export function fillSlot(memory: SlotMemory, k: number, fd: number, block: number, lengthBytes: number): void {
  try {
    const length = alignedSpan(block, lengthBytes);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, memory.data, k * blockBytes + got, length - got, block * blockBytes + got);
      got += n;
      if (n === 0 || n % directAlignBytes !== 0) break; // the file's end
    }
    Atomics.store(memory.got, k, got);
    Atomics.store(memory.state, k, done);
  } catch (err) {
    Atomics.store(memory.state, k, failed);
    throw err;
  }
}
