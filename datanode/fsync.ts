// fsync and fdatasync through libuv's thread pool, for the datanode's replica files and their
// directories: opening and closing are page-cache work done on the calling thread; only the
// sync, which waits for the disk, leaves it (Linux syncs through a read-only descriptor too).

import { closeSync, fdatasync as fdatasyncCallback, fsync as fsyncCallback, openSync } from 'node:fs';
import { promisify } from 'node:util';

export const fsyncFd = promisify(fsyncCallback);
const fdatasyncFd = promisify(fdatasyncCallback);

/** fsync (or fdatasync) of a file or directory by path. */
export async function fsyncPath(file: string, dataOnly = false): Promise<void> {
  const fd = openSync(file, 'r');
  try {
    await (dataOnly ? fdatasyncFd(fd) : fsyncFd(fd));
  } finally {
    closeSync(fd);
  }
}
