// The emptied files a datanode keeps for its next new files (datanode/free-files.ts), and what
// local readers do about a reused file: check that a replica's path still names the file they
// read (namesFile), and leave no unverified bytes behind (readVerifiedSync); on a real disk.

import { closeSync, existsSync, openSync } from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { windowChecksums } from '../../common/checksum.js';
import { encodeTrailer, namesFile, readVerifiedSync } from '../../common/replica-file.js';
import { FreeFiles } from '../../datanode/free-files.js';
import { waitFor } from '../helpers/mini-cluster.js';

describe('FreeFiles', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-free-'));
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  const inode = async (file: string): Promise<number> => (await fsp.stat(file)).ino;

  it('a removed file is emptied and its name freed; the next new file is that file, under its own name', async () => {
    const free = new FreeFiles(dir, 8);
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    await fsp.writeFile(a, Buffer.alloc(300_000, 1));
    await fsp.writeFile(b, Buffer.alloc(5000, 2));
    const [inoA, inoB] = [await inode(a), await inode(b)];
    await free.remove(a); // through the thread pool
    await free.remove(b, true); // small: on this thread
    await expect(fsp.stat(a)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fsp.stat(b)).rejects.toMatchObject({ code: 'ENOENT' });
    // Not handed out before the directory they left is fsynced.
    expect(free.size).toBe(0);
    expect(free.takeAs(path.join(dir, 'early'))).toBe(false);
    await free.settled();
    expect(free.size).toBe(2);
    const names = (await fsp.readdir(dir)).sort();
    expect(names.every((name) => FreeFiles.isFree(name))).toBe(true);
    for (const name of names) expect((await fsp.stat(path.join(dir, name))).size).toBe(0);

    // Taken last removed first; nothing left: the caller creates its file as before.
    const c = path.join(dir, 'c');
    const d = path.join(dir, 'd');
    expect(free.takeAs(c)).toBe(true);
    expect(free.takeAs(d)).toBe(true);
    expect(free.takeAs(path.join(dir, 'e'))).toBe(false);
    expect([await inode(c), await inode(d)]).toEqual([inoB, inoA]);
    expect((await fsp.readdir(dir)).sort()).toEqual(['c', 'd']);
  });

  it('keeps at most `max` files and unlinks the rest; a file already gone is an ENOENT', async () => {
    const free = new FreeFiles(dir, 2);
    for (const name of ['a', 'b', 'c']) {
      await fsp.writeFile(path.join(dir, name), 'x');
      await free.remove(path.join(dir, name), name === 'c');
    }
    await free.settled();
    expect(free.size).toBe(2);
    expect((await fsp.readdir(dir)).length).toBe(2);
    await expect(free.remove(path.join(dir, 'gone'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(free.remove(path.join(dir, 'gone'), true)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(free.size).toBe(2);
  });

  it('a file with a second name (a rename a crash lost) is never emptied, adopted or handed out: only the name given goes', async () => {
    const free = new FreeFiles(dir, 8);
    const replica = path.join(dir, 'replica');
    await fsp.writeFile(replica, 'live bytes');
    await fsp.link(replica, path.join(dir, 'stale'));
    await free.remove(path.join(dir, 'stale'));
    await free.settled();
    expect(free.size).toBe(0);
    expect(await fsp.readFile(replica, 'utf8')).toBe('live bytes');
    expect(await fsp.readdir(dir)).toEqual(['replica']);

    await fsp.link(replica, path.join(dir, 'free.9'));
    await fsp.writeFile(path.join(dir, 'free.10'), 'not emptied');
    await fsp.writeFile(path.join(dir, 'free.11'), '');
    const again = new FreeFiles(dir, 8);
    expect(again.adopt('free.9')).toBe(false);
    expect(again.adopt('free.10')).toBe(false);
    expect(again.adopt('free.11')).toBe(true);
    expect(again.size).toBe(1);
  });

  it('a file moved out keeps its bytes and is ready once the directory it left is fsynced, by the batch or by an fsync begun after it', async () => {
    const free = new FreeFiles(path.join(dir, 'tmp'), 8);
    await fsp.mkdir(path.join(dir, 'tmp'));
    await fsp.mkdir(path.join(dir, 'bucket'));
    const [a, b] = [path.join(dir, 'bucket', 'a'), path.join(dir, 'bucket', 'b')];
    await fsp.writeFile(a, 'old a');
    await fsp.writeFile(b, 'old b');
    let readyA: boolean | undefined;
    const movedA = free.moveOut(a, path.join(dir, 'tmp', 'a.old')).then((ok) => (readyA = ok));
    const synced = free.dirSyncing(path.join(dir, 'bucket')); // an fsync of the bucket begins
    const movedB = free.moveOut(b, path.join(dir, 'tmp', 'b.old')); // after it began: not covered
    expect(existsSync(a)).toBe(false); // the old name is gone at once
    const ticks = async (): Promise<void> => {
      for (let i = 0; i < 5; i++) await Promise.resolve(); // no I/O completes meanwhile
    };
    await ticks();
    expect(readyA).toBeUndefined();
    synced(); // that fsync succeeded: a is ready without the batch
    await ticks();
    expect(readyA).toBe(true);
    await movedA;
    expect(await movedB).toBe(true); // by the batch
    expect(await fsp.readFile(path.join(dir, 'tmp', 'a.old'), 'utf8')).toBe('old a');
    expect(await fsp.readFile(path.join(dir, 'tmp', 'b.old'), 'utf8')).toBe('old b');
    expect(free.size).toBe(0); // not free files
    // A file with a second name is not moved.
    const c = path.join(dir, 'bucket', 'c');
    await fsp.writeFile(c, 'c');
    await fsp.link(c, path.join(dir, 'c-too'));
    expect(() => free.moveOut(c, path.join(dir, 'tmp', 'c.old'))).toThrow(/another name/);
    expect(await fsp.readFile(c, 'utf8')).toBe('c');
  });

  it('a restart adopts the free files a previous run left, and names new ones after them', async () => {
    const first = new FreeFiles(dir, 8);
    await fsp.writeFile(path.join(dir, 'a'), 'x');
    await first.remove(path.join(dir, 'a'));
    await first.settled();
    const [left] = await fsp.readdir(dir);
    expect(FreeFiles.isFree(left as string)).toBe(true);
    expect(FreeFiles.isFree('free.x')).toBe(false);
    expect(FreeFiles.isFree('4_2.7')).toBe(false);

    const second = new FreeFiles(dir, 8);
    expect(second.adopt(left as string)).toBe(true);
    await fsp.writeFile(path.join(dir, 'b'), 'y');
    await second.remove(path.join(dir, 'b'));
    await second.settled();
    expect(second.size).toBe(2);
    expect((await fsp.readdir(dir)).length).toBe(2); // a new name, not the adopted one's
    expect(second.takeAs(path.join(dir, 'c'))).toBe(true);
    expect(second.takeAs(path.join(dir, 'd'))).toBe(true);
    expect((await fsp.readdir(dir)).sort()).toEqual(['c', 'd']);
  });

  it('stocks new empty files while none is taken, up to the target; a restart adopts them', async () => {
    const free = new FreeFiles(dir, 100);
    free.stock(40); // more than one batch
    await waitFor(() => free.size === 40, 10_000, 'the stock to fill');
    const names = (await fsp.readdir(dir)).sort();
    expect(names).toHaveLength(40);
    for (const name of names) {
      expect(FreeFiles.isFree(name)).toBe(true);
      const st = await fsp.stat(path.join(dir, name));
      expect([st.size, st.nlink]).toEqual([0, 1]);
    }
    // Taken: the stock grows back only once none was taken for a moment.
    for (const name of ['a', 'b', 'c']) expect(free.takeAs(path.join(dir, name))).toBe(true);
    expect(free.size).toBe(37);
    await waitFor(() => free.size === 40, 10_000, 'the stock to grow back');
    expect(free.stocked).toBe(43);
    free.stopStock();
    // A restart adopts the stocked files like any free file.
    const again = new FreeFiles(dir, 100);
    const adopted = (await fsp.readdir(dir)).filter((n) => FreeFiles.isFree(n) && again.adopt(n));
    expect(adopted).toHaveLength(40);
  });
});

describe('namesFile', () => {
  it('is true while the path names the open file, false once it was renamed away or replaced', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-names-'));
    try {
      const file = path.join(dir, '1_1.rep');
      await fsp.writeFile(file, 'replica');
      const fd = openSync(file, 'r');
      try {
        expect(namesFile(file, fd)).toBe(true);
        await fsp.rename(file, path.join(dir, 'free.1')); // deleted: emptied and kept for reuse
        expect(namesFile(file, fd)).toBe(false);
        await fsp.writeFile(file, 'replica'); // the same name again, another file
        expect(namesFile(file, fd)).toBe(false);
      } finally {
        closeSync(fd);
      }
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('readVerifiedSync', () => {
  it('leaves no unverified bytes in the caller\'s buffer when a window fails (they may be another replica\'s)', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cairn-verify-'));
    try {
      const window = 64 * 1024;
      const data = Buffer.alloc(2 * window, 7);
      const file = path.join(dir, '1_1.rep');
      const bytes = Buffer.concat([data, encodeTrailer(windowChecksums(data), data.length)]);
      bytes.writeUInt8(bytes.readUInt8(window + 5) ^ 1, window + 5); // the second window no longer matches its checksum
      await fsp.writeFile(file, bytes);
      const fd = openSync(file, 'r');
      try {
        const sums = windowChecksums(data);
        const out = Buffer.alloc(2 * window, 0xaa);
        const scratch = { buf: Buffer.alloc(0) };
        expect(readVerifiedSync(fd, data.length, sums, 0, window, out, 0, scratch)).toBe(true); // whole windows, straight into out
        expect(out.subarray(0, window).equals(data.subarray(0, window))).toBe(true);
        expect(readVerifiedSync(fd, data.length, sums, window, window, out, window, scratch)).toBe(false);
        expect(out.subarray(window).every((b) => b === 0)).toBe(true);
      } finally {
        closeSync(fd);
      }
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
