// A thread that reads FUSE requests from /dev/fuse and hands them to the main thread, or answers
// a READ itself when the main thread offered the replica it needs (fast-reads.ts), a LOOKUP of a
// name in a page of a listing the main thread handed over (fast-lookups.ts), the FLUSH of a
// handle that only reads (nothing to flush), and the kernel's question for file capabilities
// before every write (always ENODATA).
//
// read(2) on /dev/fuse blocks until the kernel has a request, so it must not run on the main
// thread, nor in libuv's small thread pool (where blocked readers would starve every fs call of
// the process). Each request is transferred, not copied, to the main thread; small requests are
// copied out so that the large read buffer is reused. The thread ends when the file system is
// unmounted (ENODEV) or the device fails.
//
// The thread never runs its event loop (it is always in read(2) or serving): the main thread's
// messages are taken with receiveMessageOnPort before each request is looked at.

import { readSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { ReaderNames, monotonicMs, type ReaderMessage } from './fast-lookups.js';
import { ReaderFiles, type ReaderControl } from './fast-reads.js';
import { cStrings, encodeReply, inHeaderBytes, op, writeOutHeader } from './protocol.js';

interface ReaderData {
  fd: number;
  bufferBytes: number;
  /** [0]: reads, [1]: lookups, [2]: flushes answered here (for the mount's log and tests). */
  served: Int32Array;
  namesTtlMs: number;
  /** Where to tell the main thread of each lookup answered here, before answering it. */
  looked: MessagePort;
}

/** Requests up to this size are copied into a buffer of their own; larger ones (writes) keep the big one. */
const copyBytesMax = 64 * 1024;

function run(port: MessagePort, { fd, bufferBytes, served: counter, namesTtlMs, looked }: ReaderData): void {
  const files = new ReaderFiles();
  const names = new ReaderNames(namesTtlMs);
  let big = Buffer.allocUnsafeSlow(bufferBytes);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, big, 0, big.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // EINTR: a signal; ENOENT: the request was interrupted before it could be read.
      if (code === 'EINTR' || code === 'EAGAIN' || code === 'ENOENT') continue;
      port.postMessage({ end: code ?? String(err) });
      return;
    }
    if (n === 0) {
      port.postMessage({ end: 'EOF' });
      return;
    }
    for (let msg = receiveMessageOnPort(port); msg !== undefined; msg = receiveMessageOnPort(port)) {
      const m = msg.message as ReaderMessage;
      if (m.kind === 'chunk' || m.kind === 'drop') files.apply(m as ReaderControl);
      else names.apply(m);
    }
    const opcode = big.readUInt32LE(4);
    if (opcode === op.READ && n >= inHeaderBytes + 24 && served(fd, files, big)) {
      Atomics.add(counter, 0, 1);
      continue;
    }
    if (opcode === op.LOOKUP && lookedUp(fd, names, looked, big, n)) {
      Atomics.add(counter, 1, 1);
      continue;
    }
    if (opcode === op.FLUSH && n >= inHeaderBytes + 8 && isReadOnlyHandle(big.readBigUInt64LE(inHeaderBytes))) {
      // close(2) of a file opened for reading: nothing to flush (open-files.ts numbers such handles odd).
      reply(fd, encodeReply(big.readBigUInt64LE(8), 0));
      Atomics.add(counter, 2, 1);
      continue;
    }
    if (opcode === op.GETXATTR && isCapabilityQuery(big, n)) {
      reply(fd, encodeReply(big.readBigUInt64LE(8), osConstants.errno.ENODATA));
      continue;
    }
    if (n <= copyBytesMax) {
      const copy = new Uint8Array(n);
      copy.set(big.subarray(0, n));
      port.postMessage({ request: copy.buffer, bytes: n }, [copy.buffer]);
    } else {
      const owned = big.buffer;
      big = Buffer.allocUnsafeSlow(bufferBytes);
      port.postMessage({ request: owned, bytes: n }, [owned]);
    }
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

function reply(fd: number, out: Buffer): void {
  try {
    writeSync(fd, out);
  } catch {
    // ENOENT: interrupted meanwhile, the answer is not wanted; ENODEV: unmounted (the next read says so).
  }
}

/** Answers a READ (fuse_read_in: fh, offset, size) from an offered replica; false to hand it on. */
function served(fd: number, files: ReaderFiles, req: Buffer): boolean {
  const fh = Number(req.readBigUInt64LE(inHeaderBytes));
  const out = files.serve(fh, Number(req.readBigUInt64LE(inHeaderBytes + 8)), req.readUInt32LE(inHeaderBytes + 16));
  if (out === undefined) return false;
  writeOutHeader(out, req.readBigUInt64LE(8), 0);
  reply(fd, out);
  return true;
}

const isReadOnlyHandle = (fh: bigint): boolean => (fh & 1n) === 1n;

/** Answers a LOOKUP from a page the main thread handed over; false to hand it on. */
function lookedUp(fd: number, names: ReaderNames, looked: MessagePort, req: Buffer, n: number): boolean {
  let name: string;
  try {
    name = cStrings(req.subarray(inHeaderBytes, n), 1)[0] as string;
  } catch {
    return false; // malformed: the main thread answers it
  }
  const found = names.answer(Number(req.readBigUInt64LE(16)), name, monotonicMs());
  if (found === undefined) return false;
  looked.postMessage(found.looked); // before the reply: the kernel may use the node at once
  reply(fd, encodeReply(req.readBigUInt64LE(8), 0, Buffer.from(found.body.buffer, found.body.byteOffset, found.body.byteLength)));
  return true;
}

if (parentPort !== null) run(parentPort, workerData as ReaderData);
