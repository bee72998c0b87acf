// Two mounts of one cluster (two `cairn mount` processes, as on two machines): what one closes,
// the other sees when it next opens (close-to-open), renames and new names are visible at once,
// and one writer per file holds across mounts.

import fsp from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiniCluster, waitFor } from '../helpers/mini-cluster.js';
import { fuseUnavailable, Mount, codeOf, run } from '../helpers/mount.js';
import { pseudoRandomBytes, sha256 } from '../helpers/data.js';

const skip = fuseUnavailable();
let cluster: MiniCluster;
let a: Mount;
let b: Mount;

beforeAll(async () => {
  if (skip !== undefined) return;
  cluster = await MiniCluster.start({ datanodes: 3, chunkSizeBytes: 1024 * 1024 });
  // One mount reads /dev/fuse on its main thread (the default), the other with reader threads.
  [a, b] = await Promise.all([Mount.start(cluster), Mount.start(cluster, { readers: 2 })]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await cluster?.stop();
});

describe.skipIf(skip !== undefined)('two mounts of one cluster', () => {
  it('a file closed on one mount reads identically when opened on the other', async () => {
    const data = pseudoRandomBytes(3 * 1024 * 1024 + 99, 5);
    await fsp.writeFile(a.p('shared.bin'), data);
    expect(sha256(await fsp.readFile(b.p('shared.bin')))).toBe(sha256(data));
  });

  it('an overwrite and an append made on one mount show at the next open on the other, even after the other read the file', async () => {
    await fsp.writeFile(a.p('changing.txt'), 'first version');
    expect(await fsp.readFile(b.p('changing.txt'), 'utf8')).toBe('first version');
    expect((await fsp.stat(b.p('changing.txt'))).size).toBe(13);
    await fsp.writeFile(a.p('changing.txt'), 'SECOND version');
    expect(await fsp.readFile(b.p('changing.txt'), 'utf8')).toBe('SECOND version');
    await fsp.appendFile(a.p('changing.txt'), ', longer now');
    const handle = await fsp.open(b.p('changing.txt'), 'r');
    expect((await handle.stat()).size).toBe(26);
    expect((await handle.readFile()).toString()).toBe('SECOND version, longer now');
    await handle.close();
    await fsp.truncate(a.p('changing.txt'), 6);
    expect(await fsp.readFile(b.p('changing.txt'), 'utf8')).toBe('SECOND');
  });

  it('a file that never had an extended attribute has none on the other mount; the first one set is seen there within the cache lifetime', async () => {
    await fsp.writeFile(a.p('plain-xattrs'), 'x');
    const getOn = async (path: string): Promise<string> =>
      (await run('python3', ['-c', `import os, errno, sys\ntry:\n  print(os.getxattr(sys.argv[1], 'user.k').decode())\nexcept OSError as e:\n  print(errno.errorcode[e.errno])`, path])).stdout.trim();
    const listOn = async (path: string): Promise<string> => (await run('python3', ['-c', 'import os, sys; print(sorted(os.listxattr(sys.argv[1])))', path])).stdout.trim();
    expect((await fsp.stat(b.p('plain-xattrs'))).size).toBe(1); // b holds its attributes now
    expect(await getOn(b.p('plain-xattrs'))).toBe('ENODATA');
    expect(await listOn(b.p('plain-xattrs'))).toBe('[]');
    await run('python3', ['-c', "import os, sys; os.setxattr(sys.argv[1], 'user.k', b'v')", a.p('plain-xattrs')]);
    expect(await getOn(a.p('plain-xattrs'))).toBe('v');
    const since = Date.now();
    await waitFor(async () => (await getOn(b.p('plain-xattrs'))) === 'v', 5000, 'the other mount to see the attribute');
    expect(Date.now() - since).toBeLessThan(3000);
    expect(await listOn(b.p('plain-xattrs'))).toBe("['user.k']");
  });

  it('a file created on one mount is visible on the other at once, even right after the other looked for it', async () => {
    expect(await codeOf(fsp.stat(b.p('appearing.txt')))).toBe('ENOENT');
    await fsp.writeFile(a.p('appearing.txt'), 'here');
    expect(await fsp.readFile(b.p('appearing.txt'), 'utf8')).toBe('here');
    expect(await fsp.readdir(b.p())).toContain('appearing.txt');
  });

  it('in a directory one mount made and fills, a name the other mount adds is seen at the first one\'s next change there, or within the name cache lifetime', async () => {
    await fsp.mkdir(a.p('filled'));
    for (let i = 0; i < 20; i++) await fsp.writeFile(a.p('filled', `a${i}`), `a${i}`);
    expect(await codeOf(fsp.stat(a.p('filled', 'nobody')))).toBe('ENOENT');
    await fsp.writeFile(b.p('filled', 'from-b'), 'b');
    // a's next change there moves the directory's version by two: a knows someone else changed it.
    await fsp.writeFile(a.p('filled', 'a-last'), 'x');
    expect(await fsp.readFile(a.p('filled', 'from-b'), 'utf8')).toBe('b');
    // Without a change of its own, a sees the new name once its knowledge is a cache lifetime (1 s) old.
    await fsp.mkdir(a.p('filled2'));
    await fsp.writeFile(a.p('filled2', 'mine'), 'x');
    await fsp.writeFile(b.p('filled2', 'from-b-2'), 'b2');
    const since = Date.now();
    await waitFor(async () => (await codeOf(fsp.stat(a.p('filled2', 'from-b-2')))) === undefined, 5000, 'the other mount\'s name');
    expect(Date.now() - since).toBeLessThan(3000);
    expect(await fsp.readFile(a.p('filled2', 'mine'), 'utf8')).toBe('x');
    // Every name a made is found, whatever a remembers, and renames and removals through a are followed.
    await fsp.rename(a.p('filled', 'a0'), a.p('filled', 'renamed'));
    await fsp.unlink(a.p('filled', 'a1'));
    await fsp.writeFile('/proc/sys/vm/drop_caches', '2'); // the kernel forgets its dentries: every name is looked up again
    for (let i = 2; i < 20; i++) expect(await fsp.readFile(a.p('filled', `a${i}`), 'utf8')).toBe(`a${i}`);
    expect(await fsp.readFile(a.p('filled', 'renamed'), 'utf8')).toBe('a0');
    expect(await codeOf(fsp.stat(a.p('filled', 'a0')))).toBe('ENOENT');
    expect(await codeOf(fsp.stat(a.p('filled', 'a1')))).toBe('ENOENT');
    expect((await fsp.readdir(b.p('filled'))).sort()).toEqual((await fsp.readdir(a.p('filled'))).sort());
  });

  it('a lookup of an absent name in a directory one mount made confirms its names once they are a cache lifetime old, unless the other mount changed it', async () => {
    await fsp.mkdir(a.p('kept'));
    await fsp.writeFile(a.p('kept', 'mine'), 'x');
    await fsp.mkdir(a.p('kept-other'));
    await fsp.writeFile(a.p('kept-other', 'mine'), 'x');
    // a's names of both are no longer fresh once it sees a name b adds to a directory a made after them.
    await fsp.mkdir(a.p('kept-probe'));
    await fsp.writeFile(b.p('kept-probe', 'from-b'), 'b');
    await waitFor(async () => (await codeOf(fsp.stat(a.p('kept-probe', 'from-b')))) === undefined, 5000, 'the other mount\'s name');
    // Unchanged since: the namenode's answer to a lookup of an absent name carries the directory's
    // version, the same, so a knows its names again and answers for them itself (for a cache
    // lifetime, as for any name it caches): a name b adds now is not seen at once.
    const confirmedAt = Date.now(); // before the lookup that confirms: the time since it is at most Date.now() - confirmedAt
    expect(await codeOf(fsp.stat(a.p('kept', 'nobody')))).toBe('ENOENT');
    await fsp.writeFile(b.p('kept', 'late'), 'b');
    const seenAtOnce = (await codeOf(fsp.stat(a.p('kept', 'late')))) === undefined;
    if (Date.now() - confirmedAt < 800) expect(seenAtOnce).toBe(false);
    await waitFor(async () => (await codeOf(fsp.stat(a.p('kept', 'late')))) === undefined, 5000, 'the other mount\'s late name');
    // Changed by b meanwhile: the version moved, so a forgets the names, and sees b's at once.
    await fsp.writeFile(b.p('kept-other', 'from-b'), 'b');
    expect(await codeOf(fsp.stat(a.p('kept-other', 'nobody')))).toBe('ENOENT');
    expect(await fsp.readFile(a.p('kept-other', 'from-b'), 'utf8')).toBe('b');
    expect(await fsp.readFile(a.p('kept-other', 'mine'), 'utf8')).toBe('x');
  });

  it('a rename on one mount is seen by the other: the new name at once, the old name gone within the name cache lifetime', async () => {
    await fsp.mkdir(a.p('dir1'));
    await fsp.writeFile(a.p('dir1', 'old-name'), 'renamed contents');
    expect(await fsp.readFile(b.p('dir1', 'old-name'), 'utf8')).toBe('renamed contents');
    await fsp.rename(a.p('dir1', 'old-name'), a.p('new-name'));
    expect(await fsp.readFile(b.p('new-name'), 'utf8')).toBe('renamed contents');
    // The other kernel may keep the old name for the name cache lifetime (1 s), as NFS does.
    await waitFor(async () => (await codeOf(fsp.stat(b.p('dir1', 'old-name')))) === 'ENOENT', 3000, 'the old name to disappear');
    // A rename replacing a file the other mount holds open: the reader keeps its open file.
    await fsp.writeFile(a.p('target'), 'old target');
    const reader = await fsp.open(b.p('target'), 'r');
    await fsp.writeFile(a.p('replacement'), 'new target');
    await fsp.rename(a.p('replacement'), a.p('target'));
    expect(await fsp.readFile(b.p('target'), 'utf8')).toBe('new target');
    await reader.close();
    // Directories move too.
    await fsp.rename(a.p('dir1'), a.p('dir2'));
    expect((await fsp.stat(b.p('dir2'))).isDirectory()).toBe(true);
    await waitFor(async () => (await codeOf(fsp.stat(b.p('dir1')))) === 'ENOENT', 3000, 'the old directory name to disappear');
  });

  it('an fchmod of a file whose name the other mount gave to another file since is ESTALE, and leaves that file alone', async () => {
    // Its own mount: names cached for a minute, so it still knows `f` as its first file.
    const slow = await Mount.start(cluster, { cacheMs: 60_000 });
    try {
      await fsp.mkdir(slow.p('replaced'));
      await fsp.writeFile(slow.p('replaced', 'f'), 'first');
      const handle = await fsp.open(slow.p('replaced', 'f'), 'r');
      try {
        await fsp.writeFile(b.p('replaced', 'g'), 'second');
        await fsp.chmod(b.p('replaced', 'g'), 0o640);
        await fsp.rename(b.p('replaced', 'g'), b.p('replaced', 'f'));
        // The mount sends the change by path, naming the inode it means (SetAttrRequest.expect_inode).
        // Before, the namenode changed whatever the path led to, and the mount said ESTALE after.
        // (A chmod by path is retried by the kernel after ESTALE, and changes the file there now.)
        const failed = await handle.chmod(0o600).then(() => undefined, (err: NodeJS.ErrnoException) => err);
        expect(failed?.errno).toBe(-osConstants.errno.ESTALE); // libuv has no name for it
      } finally {
        await handle.close();
      }
      expect((await cluster.client().lstat('/replaced/f')).mode).toBe(0o100640);
      expect(await fsp.readFile(b.p('replaced', 'f'), 'utf8')).toBe('second');
    } finally {
      await slow.stop();
    }
  });

  it('one writer per file: while one mount writes a file, opening it for writing on the other is EBUSY', async () => {
    const writer = await fsp.open(a.p('leased.txt'), 'w');
    await writer.write('mine');
    // A file the mount creates is leased by its first write, which goes behind: surely once fsync returns.
    await writer.sync();
    expect(await codeOf(fsp.open(b.p('leased.txt'), 'r+'))).toBe('EBUSY');
    await writer.close();
    const second = await fsp.open(b.p('leased.txt'), 'r+');
    await second.write('MINE');
    await second.close();
    expect(await fsp.readFile(a.p('leased.txt'), 'utf8')).toBe('MINE');
    // The other mount opened the new file for writing before this one's first write took the
    // lease: it is the writer, and this one's close says its writes were refused.
    const creator = await fsp.open(a.p('raced.txt'), 'wx');
    const taker = await fsp.open(b.p('raced.txt'), 'r+');
    await taker.write('taker');
    await creator.write('creator'); // accepted, then refused when it reaches the namenode
    expect(await codeOf(creator.close())).toBe('EBUSY');
    await taker.close();
    expect(await fsp.readFile(a.p('raced.txt'), 'utf8')).toBe('taker');
  });
});
