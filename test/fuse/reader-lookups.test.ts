// Lookups answered by the mount's reader threads themselves (client/fuse/fast-lookups.ts): the
// attributes are the namenode's, a change made through the mount is seen at once, and the nodes
// a reader thread handed out work for every later request. A real cluster, a real mount process.
//
// The kernel keeps names for --cache-ms; to make it ask again, the test drops the kernel's
// dentries and inodes (/proc/sys/vm/drop_caches, as root: mounting needs root anyway).

import { constants as O } from 'node:fs';
import fsp from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pseudoRandomBytes } from '../helpers/data.js';
import { MiniCluster } from '../helpers/mini-cluster.js';
import { fuseUnavailable, Mount } from '../helpers/mount.js';

const skip = fuseUnavailable();
let cluster: MiniCluster;
let mount: Mount;
const count = 300;
const name = (i: number): string => `f${String(i).padStart(4, '0')}`;
const sizeOf = (i: number): number => (i * 37) % 5000;

beforeAll(async () => {
  if (skip !== undefined) return;
  cluster = await MiniCluster.start({ datanodes: 3 });
  // Long enough that every page fetched below is still fresh when the test looks again.
  mount = await Mount.start(cluster, { logLevel: 'info', cacheMs: 120_000 });
});
afterAll(async () => {
  await mount?.stop();
  await cluster?.stop();
});

/** Makes the kernel forget the names and inodes it holds: the next stat of each is a LOOKUP. */
async function forgetKernelNames(): Promise<void> {
  await fsp.writeFile('/proc/sys/vm/drop_caches', '2');
}

describe.skipIf(skip !== undefined)('lookups answered by the reader threads', () => {
  it('stat of every file of a directory answers what the namenode holds', async () => {
    const sdk = cluster.client();
    await sdk.mkdir('/names');
    for (let i = 0; i < count; i++) await sdk.writeFile(`/names/${name(i)}`, pseudoRandomBytes(sizeOf(i), i));
    await sdk.chmod(`/names/${name(7)}`, 0o600);
    await sdk.link(`/names/${name(90)}`, '/names/z-link'); // a second name, in the same pages
    for (let round = 0; round < 2; round++) {
      // The first round fetches pages as it goes; the second, after the kernel forgot, is answered from them.
      if (round === 1) await forgetKernelNames();
      for (let i = 0; i < count; i++) {
        const st = await fsp.stat(mount.p(`names/${name(i)}`));
        const want = await sdk.lstat(`/names/${name(i)}`);
        expect([st.size, st.ino, st.mode, st.nlink]).toEqual([sizeOf(i), want.ino, want.mode, want.nlink]);
      }
    }
    await expect(fsp.stat(mount.p('names/nothing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('sees at once what the mount changed: unlink, chmod, rename, truncate, link, writers still open', async () => {
    await fsp.unlink(mount.p(`names/${name(10)}`));
    await fsp.chmod(mount.p(`names/${name(20)}`), 0o640);
    await fsp.rename(mount.p(`names/${name(40)}`), mount.p('names/renamed'));
    await fsp.truncate(mount.p(`names/${name(50)}`), 3);
    await fsp.link(mount.p(`names/${name(60)}`), mount.p('names/second-name'));
    const writer = await fsp.open(mount.p(`names/${name(30)}`), O.O_WRONLY | O.O_APPEND);
    await writer.write(Buffer.from('12345'));
    const emptied = await fsp.open(mount.p(`names/${name(70)}`), O.O_WRONLY | O.O_TRUNC); // nothing written yet
    const holding = await fsp.open(mount.p(`names/${name(80)}`), O.O_WRONLY);
    await fsp.chmod(mount.p(`names/${name(80)}`), 0o604); // held by the mount until the writer commits
    // An open file stays in the kernel's caches; its other name does not, and is looked up again.
    const linked = await fsp.open(mount.p(`names/${name(90)}`), O.O_WRONLY);
    await fsp.chmod(mount.p(`names/${name(90)}`), 0o606);
    await forgetKernelNames();
    await expect(fsp.stat(mount.p(`names/${name(10)}`))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await fsp.stat(mount.p(`names/${name(20)}`))).mode & 0o7777).toBe(0o640);
    await expect(fsp.stat(mount.p(`names/${name(40)}`))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await fsp.stat(mount.p('names/renamed'))).size).toBe(sizeOf(40));
    expect((await fsp.stat(mount.p(`names/${name(50)}`))).size).toBe(3);
    expect((await fsp.stat(mount.p(`names/${name(60)}`))).nlink).toBe(2);
    expect((await fsp.stat(mount.p(`names/${name(30)}`))).size).toBe(sizeOf(30) + 5);
    expect((await fsp.stat(mount.p(`names/${name(70)}`))).size).toBe(0);
    expect((await fsp.stat(mount.p(`names/${name(80)}`))).mode & 0o7777).toBe(0o604);
    expect((await fsp.stat(mount.p('names/z-link'))).mode & 0o7777).toBe(0o606);
    await holding.close();
    await linked.close();
    await writer.close();
    await emptied.close();
    expect((await fsp.stat(mount.p(`names/${name(30)}`))).size).toBe(sizeOf(30) + 5);
    expect((await fsp.stat(mount.p(`names/${name(70)}`))).size).toBe(0);
  });

  it('the nodes a reader thread handed out serve every later request: read, write, rename, unlink', async () => {
    await forgetKernelNames();
    for (let i = 100; i < 140; i++) {
      const p = mount.p(`names/${name(i)}`);
      expect((await fsp.stat(p)).size).toBe(sizeOf(i)); // looked up by a reader thread
      expect((await fsp.readFile(p)).equals(pseudoRandomBytes(sizeOf(i), i))).toBe(true);
      await fsp.appendFile(p, 'x');
      await fsp.rename(p, mount.p(`names/moved-${i}`));
      expect((await fsp.stat(mount.p(`names/moved-${i}`))).size).toBe(sizeOf(i) + 1);
      await fsp.unlink(mount.p(`names/moved-${i}`));
      await expect(fsp.stat(p)).rejects.toMatchObject({ code: 'ENOENT' });
    }
  });

  it('did answer lookups without the main thread (the count the mount logs when it unmounts)', async () => {
    await mount.stop();
    const served = /"servedFast":\{[^}]*"lookups":(\d+)/.exec(mount.logs());
    expect(served, mount.logs()).not.toBeNull();
    // The second round of 300 stats, the stats after the changes and those of the last test: nearly all from pages.
    expect(Number(served?.[1])).toBeGreaterThan(250);
  });
});
