// Requests answered without the file system's asynchronous machinery: a READ from a replica the
// main thread offered (fast-reads.ts), a LOOKUP from a page of a listing it handed over
// (fast-lookups.ts), the FLUSH of a handle that only reads, and the kernel's question for file
// capabilities before every write. Used by whichever thread reads /dev/fuse (device.ts).

import { writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { ReaderNames, monotonicMs, type LookedUp, type ReaderMessage } from './fast-lookups.js';
import { ReaderFiles, type ReaderControl } from './fast-reads.js';
import { cStrings, encodeReply, inHeaderBytes, op, writeOutHeader } from './protocol.js';

/**
 * Requests up to this size are copied out of the read buffer when handed on; larger ones
 * (writes) keep it, and the reader takes a new one.
 */
export const copyBytesMax = 64 * 1024;

/** A reader's buffer: room for the largest write and its headers (the kernel refuses smaller ones). */
export const readBufferBytes = (maxWriteBytes: number): number => maxWriteBytes + 64 * 1024;

/** Indexes of the counters in `served`. */
export const servedIndex = { reads: 0, lookups: 1, flushes: 2, direct: 3 } as const;

export class FastPath {
  private readonly files: ReaderFiles;
  private readonly names: ReaderNames;

  constructor(
    namesTtlMs: number,
    /** Counters of what was answered here (shared between threads). */
    private readonly served: Int32Array,
    /** Told of each lookup answered here, before its reply is written. */
    private readonly looked: (looked: LookedUp) => void,
    /**
     * Whether large sequential reads go past the page cache (direct-reads.ts): on the main thread
     * only. Reader threads (`--readers N`) each see part of a stream (the kernel spreads its
     * READs), so none would see it as sequential, and they never run the event loop that would
     * tell them of a read-ahead thread's failure.
     */
    directReads: boolean,
    /** Told when a handle's reads move into another chunk (ReaderFiles' `onChunk`): on the main thread only. */
    chunkReached?: (fh: number, index: number) => void,
  ) {
    this.names = new ReaderNames(namesTtlMs);
    this.files = new ReaderFiles(directReads ? () => Atomics.add(this.served, servedIndex.direct, 1) : undefined, chunkReached);
  }

  /** Takes in what the main thread says may (no longer) be served. */
  apply(m: ReaderMessage): void {
    if (m.kind === 'chunk' || m.kind === 'drop') this.files.apply(m as ReaderControl);
    else this.names.apply(m);
  }

  /** Answers the request in `req` (n bytes) on `fd` if it can; false to hand it on. */
  serve(fd: number, req: Buffer, n: number): boolean {
    const opcode = req.readUInt32LE(4);
    if (opcode === op.READ && n >= inHeaderBytes + 24 && this.read(fd, req)) {
      Atomics.add(this.served, servedIndex.reads, 1);
      return true;
    }
    if (opcode === op.LOOKUP && this.lookup(fd, req, n)) {
      Atomics.add(this.served, servedIndex.lookups, 1);
      return true;
    }
    if (opcode === op.FLUSH && n >= inHeaderBytes + 8 && isReadOnlyHandle(req.readBigUInt64LE(inHeaderBytes))) {
      // close(2) of a file opened for reading: nothing to flush (open-files.ts numbers such handles odd).
      reply(fd, encodeReply(req.readBigUInt64LE(8), 0));
      Atomics.add(this.served, servedIndex.flushes, 1);
      return true;
    }
    if (opcode === op.GETXATTR && isCapabilityQuery(req, n)) {
      reply(fd, encodeReply(req.readBigUInt64LE(8), osConstants.errno.ENODATA));
      return true;
    }
    return false;
  }

  /** Answers a READ (fuse_read_in: fh, offset, size) from an offered replica. */
  private read(fd: number, req: Buffer): boolean {
    const fh = Number(req.readBigUInt64LE(inHeaderBytes));
    const out = this.files.serve(fh, Number(req.readBigUInt64LE(inHeaderBytes + 8)), req.readUInt32LE(inHeaderBytes + 16));
    if (out === undefined) return false;
    writeOutHeader(out, req.readBigUInt64LE(8), 0);
    reply(fd, out);
    return true;
  }

  /** Answers a LOOKUP from a page the main thread handed over. */
  private lookup(fd: number, req: Buffer, n: number): boolean {
    let name: string;
    try {
      name = cStrings(req.subarray(inHeaderBytes, n), 1)[0] as string;
    } catch {
      return false; // malformed: the main thread answers it
    }
    const found = this.names.answer(Number(req.readBigUInt64LE(16)), name, monotonicMs());
    if (found === undefined) return false;
    this.looked(found.looked); // before the reply: the kernel may use the node at once
    reply(fd, encodeReply(req.readBigUInt64LE(8), 0, Buffer.from(found.body.buffer, found.body.byteOffset, found.body.byteLength)));
    return true;
  }
}

/**
 * The kernel asks every file for "security.capability" before each write to it (to drop file
 * capabilities). Cairn never stores that attribute (setxattr refuses it), so the answer is always
 * ENODATA and needs nothing of the main thread.
 */
function isCapabilityQuery(req: Buffer, n: number): boolean {
  const at = inHeaderBytes + 8; // fuse_getxattr_in: size, padding; then the name
  return n === at + capabilityName.length && req.subarray(at, n).equals(capabilityName);
}

const capabilityName = Buffer.from('security.capability\0');

const isReadOnlyHandle = (fh: bigint): boolean => (fh & 1n) === 1n;

function reply(fd: number, out: Buffer): void {
  try {
    writeSync(fd, out);
  } catch {
    // ENOENT: interrupted meanwhile, the answer is not wanted; ENODEV: unmounted (the next read says so).
  }
}
