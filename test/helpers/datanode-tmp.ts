// What a datanode's tmp/ holds: the files of writes under way (or left behind), and the free
// files kept for later ones (datanode/free-files.ts), which must be empty.

import fsp from 'node:fs/promises';
import path from 'node:path';
import { FreeFiles } from '../../datanode/free-files.js';

export async function tmpContents(dataDir: string): Promise<{ writes: string[]; free: number; freeBytes: number }> {
  const writes: string[] = [];
  let free = 0;
  let freeBytes = 0;
  for (const name of await fsp.readdir(path.join(dataDir, 'tmp'))) {
    if (!FreeFiles.isFree(name)) {
      writes.push(name);
      continue;
    }
    free++;
    freeBytes += (await fsp.stat(path.join(dataDir, 'tmp', name))).size;
  }
  return { writes, free, freeBytes };
}
