// Direct writes (datanode/direct-writes.ts) when the disk answers a direct write badly partway
// through a replica: refused (EINVAL), cut short, or failed (EIO). Real files in a temporary
// directory; only the answers of node:fs's callback `write` (used by direct writes alone here)
// are replaced, one at a time, when a test arms them.

import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeTrailer } from '../../common/replica-file.js';
import { windowChecksums } from '../../common/checksum.js';
import { ChunkStore } from '../../datanode/chunk-store.js';
import { pseudoRandomBytes } from '../helpers/data.js';
import { tmpContents } from '../helpers/datanode-tmp.js';

type Fault = { code: 'EINVAL' | 'EIO' } | { short: number };

const faults = vi.hoisted(() => ({ armed: [] as Fault[], seen: 0 }));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const { promisify } = await import('node:util');
  type Callback = (err: NodeJS.ErrnoException | null, written: number, buffer: Buffer) => void;
  const write = (fd: number, buffer: Buffer, offset: number, length: number, position: number, callback: Callback): void => {
    faults.seen++;
    const fault = faults.armed.shift();
    if (fault === undefined) {
      real.write(fd, buffer, offset, length, position, callback);
    } else if ('code' in fault) {
      setImmediate(() => callback(Object.assign(new Error(`${fault.code}: injected`), { code: fault.code }), 0, buffer));
    } else {
      real.write(fd, buffer, offset, fault.short, position, callback);
    }
  };
  // As the real one, promisified it resolves to { bytesWritten, buffer }.
  Object.defineProperty(write, promisify.custom, {
    value: (fd: number, buffer: Buffer, offset: number, length: number, position: number) =>
      new Promise((resolve, reject) => write(fd, buffer, offset, length, position, (err, bytesWritten) => (err ? reject(err) : resolve({ bytesWritten, buffer })))),
  });
  return { ...real, write, default: { ...real, write } };
});

const mib = 1024 * 1024;
let dir: string;

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-direct-'));
  faults.armed = [];
  faults.seen = 0;
});

afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

/** Writes `data` as a new replica in 256 KiB writes, arming `fault` once the first direct write went out. */
async function writeWithFault(store: ChunkStore, chunkId: number, data: Buffer, fault: Fault): Promise<void> {
  const writer = await store.createWriter({ chunkId, gen: 1, baseGen: 0, baseLengthBytes: 0, offsetBytes: 0 });
  try {
    for (let at = 0; at < data.length; at += 256 * 1024) {
      if (faults.seen === 1 && faults.armed.length === 0 && at % mib === 0) faults.armed.push(fault);
      await writer.write(data.subarray(at, at + 256 * 1024));
    }
    await writer.finish(-1, true);
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

const replicaBytes = (data: Buffer): Buffer => Buffer.concat([data, encodeTrailer(windowChecksums(data), data.length)]);

describe('direct writes partway through a replica', () => {
  it('refused (EINVAL): the rest goes through the page cache, the replica is whole, and direct writes stay off (said once)', async () => {
    const store = await ChunkStore.open(dir);
    expect(store.directWrites).toBe(true); // the test's disk takes O_DIRECT: the fault is the only refusal
    const refusals: number[] = [];
    store.onDirectRefused = () => refusals.push(Date.now());
    const data = pseudoRandomBytes(4 * mib + 12_345, 61);
    await writeWithFault(store, 1, data, { code: 'EINVAL' });
    expect(faults.seen).toBeGreaterThanOrEqual(2); // one direct write went out, the next was refused
    expect(store.directWrites).toBe(false);
    expect(refusals.length).toBe(1);
    expect((await fsp.readFile(store.replicaPath(1, 1))).equals(replicaBytes(data))).toBe(true);

    // The next replica is written buffered from its start, and nothing is said again.
    const seen = faults.seen;
    const next = pseudoRandomBytes(3 * mib, 62);
    await writeWithFault(store, 2, next, { code: 'EINVAL' });
    expect(faults.seen).toBe(seen);
    expect(refusals.length).toBe(1);
    expect((await fsp.readFile(store.replicaPath(2, 1))).equals(replicaBytes(next))).toBe(true);
    expect(await tmpContents(dir)).toMatchObject({ writes: [], freeBytes: 0 });
  });

  it('cut short: the bytes not written go through the page cache, and direct writes go on', async () => {
    const store = await ChunkStore.open(dir);
    const data = pseudoRandomBytes(5 * mib + 777, 63);
    await writeWithFault(store, 3, data, { short: 256 * 1024 });
    expect(store.directWrites).toBe(true);
    expect(faults.seen).toBeGreaterThanOrEqual(3); // direct writes after the short one
    expect((await fsp.readFile(store.replicaPath(3, 1))).equals(replicaBytes(data))).toBe(true);
  });

  it('failed (EIO): the write fails as a buffered one would, leaves nothing behind, and direct writes stay on', async () => {
    const store = await ChunkStore.open(dir);
    const data = pseudoRandomBytes(4 * mib, 64);
    await expect(writeWithFault(store, 4, data, { code: 'EIO' })).rejects.toMatchObject({ code: 'EIO' });
    expect(store.has(4, 1)).toBe(false);
    expect(store.directWrites).toBe(true);
    expect(await tmpContents(dir)).toMatchObject({ writes: [], freeBytes: 0 });
  });
});
