// The kernel keeps a file's cached pages across opens while the file is unchanged, and never
// serves cached bytes of a version another client replaced (client/fuse/page-versions.ts).
// A real cluster and a real mount process; READ requests are counted in the mount's trace log.

import fsp from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pseudoRandomBytes, sha256 } from '../helpers/data.js';
import { MiniCluster } from '../helpers/mini-cluster.js';
import { fuseUnavailable, Mount } from '../helpers/mount.js';

const skip = fuseUnavailable();
let cluster: MiniCluster;
let mount: Mount;

beforeAll(async () => {
  if (skip !== undefined) return;
  cluster = await MiniCluster.start({ datanodes: 3, chunkSizeBytes: 1024 * 1024 });
  mount = await Mount.start(cluster, { logLevel: 'trace' });
});
afterAll(async () => {
  await mount?.stop();
  await cluster?.stop();
});

/** Counts the READ requests of node `ino` the mount logs from now on (see Mount.settled). */
const readsOf = (ino: number): (() => number) => mount.counter((l) => l.includes('"op":"read"') && l.includes(`"node":${ino},`));

describe.skipIf(skip !== undefined)('the page cache across opens', () => {
  it('a file read again unchanged comes from the kernel\'s cache; changed by another client, it is read afresh', async () => {
    const sdk = cluster.client();
    const first = pseudoRandomBytes(200_000, 1);
    await sdk.writeFile('/kept', first);
    const ino = (await fsp.stat(mount.p('kept'))).ino;
    const reads = readsOf(ino);
    expect(sha256(await fsp.readFile(mount.p('kept')))).toBe(sha256(first));
    await mount.settled();
    const afterFirst = reads();
    expect(afterFirst).toBeGreaterThan(0);
    expect(sha256(await fsp.readFile(mount.p('kept')))).toBe(sha256(first));
    await mount.settled();
    expect(reads()).toBe(afterFirst); // no READ reached the mount
    // Another client replaces the bytes, same size: the next open must not keep the pages.
    const second = pseudoRandomBytes(200_000, 2);
    await sdk.writeFile('/kept', second);
    expect(sha256(await fsp.readFile(mount.p('kept')))).toBe(sha256(second));
    await mount.settled();
    expect(reads()).toBeGreaterThan(afterFirst);
  });

  it('a file written through the mount is read afresh at its next open, then kept', async () => {
    const data = pseudoRandomBytes(150_000, 3);
    await fsp.writeFile(mount.p('written'), data);
    const ino = (await fsp.stat(mount.p('written'))).ino;
    const reads = readsOf(ino);
    expect(sha256(await fsp.readFile(mount.p('written')))).toBe(sha256(data));
    await mount.settled();
    const once = reads();
    expect(once).toBeGreaterThan(0); // read afresh
    expect(sha256(await fsp.readFile(mount.p('written')))).toBe(sha256(data));
    await mount.settled();
    expect(reads()).toBe(once);
    await fsp.truncate(mount.p('written'), 1000);
    expect((await fsp.readFile(mount.p('written'))).equals(data.subarray(0, 1000))).toBe(true);
  });

  it('after a reader of an older version filled pages, later opens read the newer version whole', async () => {
    const sdk = cluster.client();
    const size = 512 * 1024;
    const v1 = pseudoRandomBytes(size, 4);
    const v2 = pseudoRandomBytes(size, 5);
    await sdk.writeFile('/versions', v1);
    const old = await fsp.open(mount.p('versions'), 'r'); // reads version 1 as long as it is open
    const head = Buffer.alloc(4096);
    await old.read(head, 0, 4096, 0);
    expect(head.equals(v1.subarray(0, 4096))).toBe(true);
    await sdk.writeFile('/versions', v2);
    const fresh = await fsp.open(mount.p('versions'), 'r');
    const tail = Buffer.alloc(4096);
    await fresh.read(tail, 0, 4096, size - 4096);
    expect(tail.equals(v2.subarray(size - 4096))).toBe(true);
    // The old handle reads a part nobody read yet: into the kernel's one page cache of the inode.
    const middle = Buffer.alloc(65536);
    await old.read(middle, 0, middle.length, size / 2);
    await Promise.all([old.close(), fresh.close()]);
    expect(sha256(await fsp.readFile(mount.p('versions')))).toBe(sha256(v2));
    expect(sha256(await fsp.readFile(mount.p('versions')))).toBe(sha256(v2));
  });
});
