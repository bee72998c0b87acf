// Shared steps of the fault tests: writing a set of files, checking them, and fsck.

import { expect } from 'vitest';
import type { CairnClient } from '../../client/sdk/client.js';
import { pseudoRandomBytes, sha256 } from '../helpers/data.js';
import { waitFor } from '../helpers/mini-cluster.js';

export interface WrittenFile {
  path: string;
  sha: string;
  size: number;
}

/** Writes `count` files of a few chunks each (sizes vary so last chunks are partial). */
export async function writeFiles(fs: CairnClient, dir: string, count: number, chunkBytes: number, seed = 1): Promise<WrittenFile[]> {
  await fs.mkdir(dir, { recursive: true });
  const files: WrittenFile[] = [];
  for (let i = 0; i < count; i++) {
    const size = chunkBytes * (1 + (i % 3)) + ((i * 7919) % chunkBytes);
    const data = pseudoRandomBytes(size, seed * 1000 + i);
    const path = `${dir}/f${i}`;
    await fs.writeFile(path, data);
    files.push({ path, sha: sha256(data), size });
  }
  return files;
}

export async function expectFilesIntact(fs: CairnClient, files: readonly WrittenFile[]): Promise<void> {
  for (const file of files) {
    const data = await fs.readFile(file.path);
    expect(data.length, file.path).toBe(file.size);
    expect(sha256(data), file.path).toBe(file.sha);
  }
}

export async function waitHealthy(fs: CairnClient, timeoutMs: number): Promise<number> {
  const start = Date.now();
  await waitFor(async () => (await fs.fsck('/').catch(() => undefined))?.healthy === true, timeoutMs, 'fsck / healthy');
  return Date.now() - start;
}

/** Every chunk of every file has exactly `replicas` live locations, none of them on `notOn`. */
export async function expectReplication(fs: CairnClient, files: readonly WrittenFile[], replicas: number, notOn: string[] = []): Promise<void> {
  for (const file of files) {
    for (const loc of await fs.getChunkLocations(file.path)) {
      expect(loc.datanodes.length, `${file.path} chunk ${loc.index}`).toBe(replicas);
      for (const dn of loc.datanodes) expect(notOn).not.toContain(dn.id);
    }
  }
}
