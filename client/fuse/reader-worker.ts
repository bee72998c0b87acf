// A thread that reads FUSE requests from /dev/fuse and hands them to the main thread, or answers
// them itself on the fast path (fast-path.ts). Used with `cairn mount --readers N` (N > 0), or
// where Node cannot watch the device with epoll; by default the main thread reads it (device.ts).
//
// read(2) on /dev/fuse blocks until the kernel has a request, so it must not run on the main
// thread, nor in libuv's small thread pool (where blocked readers would starve every fs call of
// the process). Each request is transferred, not copied, to the main thread; small requests are
// copied out so that the large read buffer is reused. The thread ends when the file system is
// unmounted (ENODEV) or the device fails.
//
// The thread never runs its event loop (it is always in read(2) or serving): the main thread's
// messages are taken with receiveMessageOnPort before each request is looked at.

import { readSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import type { ReaderMessage } from './fast-lookups.js';
import { FastPath, copyBytesMax } from './fast-path.js';

interface ReaderData {
  fd: number;
  bufferBytes: number;
  /** [0]: reads, [1]: lookups, [2]: flushes answered here (for the mount's log and tests). */
  served: Int32Array;
  namesTtlMs: number;
  /** Where to tell the main thread of each lookup answered here, before answering it. */
  looked: MessagePort;
}

function run(port: MessagePort, { fd, bufferBytes, served, namesTtlMs, looked }: ReaderData): void {
  const fast = new FastPath(namesTtlMs, served, (l) => looked.postMessage(l), false);
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
    for (let msg = receiveMessageOnPort(port); msg !== undefined; msg = receiveMessageOnPort(port)) fast.apply(msg.message as ReaderMessage);
    if (fast.serve(fd, big, n)) continue;
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

if (parentPort !== null) run(parentPort, workerData as ReaderData);
