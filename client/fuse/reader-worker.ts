// A thread that reads FUSE requests from /dev/fuse and hands them to the main thread.
//
// read(2) on /dev/fuse blocks until the kernel has a request, so it must not run on the main
// thread, nor in libuv's small thread pool (where blocked readers would starve every fs call of
// the process). Each request is transferred, not copied, to the main thread; small requests are
// copied out so that the large read buffer is reused. The thread ends when the file system is
// unmounted (ENODEV) or the device fails.

import { readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

interface ReaderData {
  fd: number;
  bufferBytes: number;
}

/** Requests up to this size are copied into a buffer of their own; larger ones (writes) keep the big one. */
const copyBytesMax = 64 * 1024;

function run(port: NonNullable<typeof parentPort>, { fd, bufferBytes }: ReaderData): void {
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
