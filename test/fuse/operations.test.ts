// Each file system operation through a real mount (a `cairn mount` process over a real cluster),
// with its attributes and its errors, as a local file system would give them.

import { constants } from 'node:fs';
import fsp from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, MiniCluster, waitFor } from '../helpers/mini-cluster.js';
import { codeOf, fuseUnavailable, Mount, run, runOk } from '../helpers/mount.js';
import { pseudoRandomBytes, sha256 } from '../helpers/data.js';
import type { CairnClient } from '../../client/sdk/client.js';

const chunk = 1024 * 1024;
const skip = fuseUnavailable();
let cluster: MiniCluster;
let mount: Mount;
let sdk: CairnClient;

beforeAll(async () => {
  if (skip !== undefined) return;
  cluster = await MiniCluster.start({ datanodes: 3, chunkSizeBytes: chunk });
  sdk = cluster.client();
  mount = await Mount.start(cluster, { allowOther: true });
});
afterAll(async () => {
  await mount?.stop();
  await cluster?.stop();
});

/**
 * Runs a node script as another user (uid/gid), in its own process. The script's last
 * expression is awaited; failures print the error code.
 */
async function asUser(uid: number, gid: number, script: string): Promise<string> {
  const wrapped = `const fs = require('node:fs/promises'); (async () => { ${script} })().then((r) => process.stdout.write(String(r ?? 'ok')), (e) => process.stdout.write(e.code ?? String(e)));`;
  const result = await run(process.execPath, ['-e', wrapped], { uid, gid, cwd: '/', timeoutMs: 30_000 });
  return result.stdout.trim();
}

/** As asUser, with supplementary groups too (setpriv: Node's spawn drops them). */
async function asMember(uid: number, gid: number, groups: number[], script: string): Promise<string> {
  const wrapped = `const fs = require('node:fs/promises'); (async () => { ${script} })().then((r) => process.stdout.write(String(r ?? 'ok')), (e) => process.stdout.write(e.code ?? String(e)));`;
  const args = ['--reuid', String(uid), '--regid', String(gid), '--groups', groups.join(','), process.execPath, '-e', wrapped];
  const result = await run('setpriv', args, { cwd: '/', timeoutMs: 30_000 });
  return result.stdout.trim() || result.stderr.trim();
}

/** Python for extended attributes (node:fs has no xattr calls). */
async function py(script: string): Promise<string> {
  return (await runOk('python3', ['-c', `import os, errno, sys\n${script}`], { timeoutMs: 30_000 })).trim();
}

describe.skipIf(skip !== undefined)('files', () => {
  it('a created file reads back, with size, mode 0644 under umask 022, owner root, nlink 1 and times of now', async () => {
    const before = Date.now() - 1000;
    await fsp.writeFile(mount.p('hello.txt'), 'hello, cairn\n');
    expect(await fsp.readFile(mount.p('hello.txt'), 'utf8')).toBe('hello, cairn\n');
    const st = await fsp.stat(mount.p('hello.txt'));
    expect(st.isFile()).toBe(true);
    expect(st.size).toBe(13);
    expect(st.mode & 0o7777).toBe(0o644);
    expect([st.uid, st.gid, st.nlink]).toEqual([0, 0, 1]);
    for (const t of [st.atimeMs, st.mtimeMs, st.ctimeMs]) expect(t).toBeGreaterThan(before);
    expect((await sdk.stat('/hello.txt')).ino).toBe(st.ino);
  });

  it('a 5 MiB file written in 1 MiB writes reads back byte-identical, through the mount and through the SDK', async () => {
    const data = pseudoRandomBytes(5 * chunk + 777, 1);
    const handle = await fsp.open(mount.p('big.bin'), 'w');
    for (let at = 0; at < data.length; at += chunk) await handle.write(data, at, Math.min(chunk, data.length - at), at);
    await handle.close();
    expect(sha256(await fsp.readFile(mount.p('big.bin')))).toBe(sha256(data));
    expect(sha256(await sdk.readFile('/big.bin'))).toBe(sha256(data));
  });

  it('large writes to several files at once read back byte-identical (request buffers are reused once their uploads commit)', async () => {
    // The mount reads each large WRITE into a buffer it uses again once the upload holding the
    // bytes has committed (device.ts, RequestBuffers): one reused too early would put another
    // write's bytes into a file.
    const files = Array.from({ length: 4 }, (_, i) => ({ name: `together-${i}.bin`, data: pseudoRandomBytes(6 * chunk + 999 * i, 40 + i) }));
    await Promise.all(
      files.map(async ({ name, data }) => {
        const handle = await fsp.open(mount.p(name), 'w');
        for (let at = 0; at < data.length; at += chunk) await handle.write(data, at, Math.min(chunk, data.length - at), at);
        await handle.close();
      }),
    );
    for (const { name, data } of files) {
      expect(sha256(await fsp.readFile(mount.p(name)))).toBe(sha256(data));
      expect(sha256(await sdk.readFile(`/${name}`))).toBe(sha256(data));
    }
  });

  it('a file written through the SDK reads identically through the mount, and one written through the mount through the CLI', async () => {
    const data = pseudoRandomBytes(2 * chunk + 5, 2);
    await sdk.writeFile('/from-sdk.bin', data);
    expect(sha256(await fsp.readFile(mount.p('from-sdk.bin')))).toBe(sha256(data));
    await fsp.writeFile(mount.p('for-cli.txt'), 'read by cairn cat\n');
    const cat = await runOk(process.execPath, [cliPath, 'cat', '/for-cli.txt', '--namenode', cluster.namenodeAddress, '--secret-file', cluster.secretFile]);
    expect(cat).toBe('read by cairn cat\n');
  });

  it('random writes and overwrites anywhere, across chunk boundaries; the writer reads its own writes before closing', async () => {
    const model = Buffer.alloc(3 * chunk + 100);
    const handle = await fsp.open(mount.p('random.bin'), 'w+');
    const writes: Array<[number, number]> = [[0, 1000], [chunk - 500, 1000], [2 * chunk + 50, 4000], [10, 20], [3 * chunk + 60, 40], [chunk - 10, 30]];
    for (const [i, [at, len]] of writes.entries()) {
      const bytes = pseudoRandomBytes(len, 10 + i);
      await handle.write(bytes, 0, len, at);
      bytes.copy(model, at);
      const check = Buffer.alloc(len);
      await handle.read(check, 0, len, at);
      expect(check.equals(bytes)).toBe(true);
    }
    // Another descriptor of the same process sees the unflushed writes too.
    const other = await fsp.open(mount.p('random.bin'), 'r');
    const seen = Buffer.alloc(20);
    await other.read(seen, 0, 20, 10);
    expect(seen.equals(model.subarray(10, 30))).toBe(true);
    await other.close();
    await handle.close();
    const back = await fsp.readFile(mount.p('random.bin'));
    expect(back.length).toBe(model.length);
    expect(back.equals(model)).toBe(true);
  });

  it('sparse files: holes read as zeros and the size is the end of the last write', async () => {
    const handle = await fsp.open(mount.p('sparse.bin'), 'w');
    await handle.write(Buffer.from('end'), 0, 3, 4 * chunk + 10);
    await handle.close();
    const back = await fsp.readFile(mount.p('sparse.bin'));
    expect(back.length).toBe(4 * chunk + 13);
    expect(back.subarray(0, 4 * chunk + 10).every((b) => b === 0)).toBe(true);
    expect(back.subarray(4 * chunk + 10).toString()).toBe('end');
  });

  it('truncate down and up by path and through an open descriptor (ftruncate)', async () => {
    const data = pseudoRandomBytes(2 * chunk + 500, 3);
    await fsp.writeFile(mount.p('trunc.bin'), data);
    await fsp.truncate(mount.p('trunc.bin'), chunk + 7);
    expect((await fsp.stat(mount.p('trunc.bin'))).size).toBe(chunk + 7);
    expect((await fsp.readFile(mount.p('trunc.bin'))).equals(data.subarray(0, chunk + 7))).toBe(true);
    await fsp.truncate(mount.p('trunc.bin'), 3 * chunk);
    const grown = await fsp.readFile(mount.p('trunc.bin'));
    expect(grown.length).toBe(3 * chunk);
    expect(grown.subarray(chunk + 7).every((b) => b === 0)).toBe(true);
    const handle = await fsp.open(mount.p('trunc.bin'), 'r+');
    await handle.write(Buffer.from('abc'), 0, 3, 100);
    await handle.truncate(50);
    expect((await handle.stat()).size).toBe(50);
    await handle.close();
    expect((await fsp.readFile(mount.p('trunc.bin'))).equals(data.subarray(0, 50))).toBe(true);
  });

  it('O_APPEND appends at the end, O_TRUNC empties, O_EXCL refuses an existing file (EEXIST)', async () => {
    await fsp.writeFile(mount.p('flags.txt'), 'one\n');
    await fsp.appendFile(mount.p('flags.txt'), 'two\n');
    const handle = await fsp.open(mount.p('flags.txt'), constants.O_WRONLY | constants.O_APPEND);
    await handle.write(Buffer.from('three\n'), 0, 6, 0); // the position is ignored with O_APPEND
    await handle.close();
    expect(await fsp.readFile(mount.p('flags.txt'), 'utf8')).toBe('one\ntwo\nthree\n');
    expect(await codeOf(fsp.open(mount.p('flags.txt'), 'wx'))).toBe('EEXIST');
    const truncating = await fsp.open(mount.p('flags.txt'), constants.O_WRONLY | constants.O_TRUNC);
    expect((await truncating.stat()).size).toBe(0);
    await truncating.close();
    expect(await fsp.readFile(mount.p('flags.txt'), 'utf8')).toBe('');
  });

  it('fsync and fdatasync return once the data is committed: the SDK sees it before close', async () => {
    const handle = await fsp.open(mount.p('synced.txt'), 'w');
    await handle.write('durable');
    await handle.sync();
    expect(await sdk.readFile('/synced.txt', 'utf8')).toBe('durable');
    await handle.write(' twice');
    await handle.datasync();
    expect(await sdk.readFile('/synced.txt', 'utf8')).toBe('durable twice');
    await handle.close();
  });

  it('fsync through a read-only descriptor syncs what another descriptor of the file wrote', async () => {
    const writer = await fsp.open(mount.p('synced-ro.txt'), 'w');
    const reader = await fsp.open(mount.p('synced-ro.txt'), 'r');
    try {
      await writer.write('written elsewhere');
      await reader.sync();
      expect(await sdk.readFile('/synced-ro.txt', 'utf8')).toBe('written elsewhere');
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('attribute changes made through a descriptor before its fsync are on the namenode when it returns', async () => {
    const handle = await fsp.open(mount.p('synced-attrs'), 'w');
    await handle.chmod(0o600); // as SQLite's fchown of a new journal: held, then carried by the fsync's commit
    await handle.write('page');
    await handle.sync();
    expect((await sdk.stat('/synced-attrs')).mode & 0o7777).toBe(0o600);
    await handle.chmod(0o640); // nothing to upload: sent alone, then synced
    await handle.sync();
    expect((await sdk.stat('/synced-attrs')).mode & 0o7777).toBe(0o640);
    await handle.close();
    expect([(await fsp.stat(mount.p('synced-attrs'))).mode & 0o7777, await sdk.readFile('/synced-attrs', 'utf8')]).toEqual([0o640, 'page']);
  });

  it('a file given its attributes between writes (its upload ended ahead at the first change) has every byte and attribute', async () => {
    // tar's order (write, chmod, utimes, close), with a write after the chmod: the mount ends the
    // upload at the chmod, and the write after it sends everything again at the close.
    const handle = await fsp.open(mount.p('attrs-between'), 'w');
    await handle.write('first part, ');
    await handle.chmod(0o640);
    await handle.write('second part');
    await handle.utimes(new Date(3_000_000), new Date(4_000_000));
    await handle.close();
    const s = await sdk.stat('/attrs-between');
    expect([s.mode & 0o7777, s.mtimeMs, await sdk.readFile('/attrs-between', 'utf8')]).toEqual([0o640, 4_000_000, 'first part, second part']);
    const seen = await fsp.stat(mount.p('attrs-between'));
    expect([seen.mode & 0o7777, seen.mtimeMs, seen.size]).toEqual([0o640, 4_000_000, 23]);
  });

  it('unlink removes a file; unlinking a directory is EISDIR, a missing name ENOENT', async () => {
    await fsp.writeFile(mount.p('doomed'), 'x');
    await fsp.unlink(mount.p('doomed'));
    expect(await codeOf(fsp.stat(mount.p('doomed')))).toBe('ENOENT');
    await fsp.mkdir(mount.p('adir'));
    expect(await codeOf(fsp.unlink(mount.p('adir')))).toBe('EISDIR');
    expect(await codeOf(fsp.unlink(mount.p('nothing-here')))).toBe('ENOENT');
  });

  it('opening a directory for writing is EISDIR; a file as a directory is ENOTDIR; names over 255 bytes are ENAMETOOLONG', async () => {
    await fsp.mkdir(mount.p('isdir'));
    expect(await codeOf(fsp.open(mount.p('isdir'), 'w'))).toBe('EISDIR');
    await fsp.writeFile(mount.p('plain'), 'x');
    expect(await codeOf(fsp.stat(mount.p('plain', 'below')))).toBe('ENOTDIR');
    expect(await codeOf(fsp.writeFile(mount.p('plain', 'below'), 'x'))).toBe('ENOTDIR');
    expect(await codeOf(fsp.writeFile(mount.p('n'.repeat(256)), 'x'))).toBe('ENAMETOOLONG');
    await fsp.writeFile(mount.p('n'.repeat(255)), 'x');
  });
});

describe.skipIf(skip !== undefined)('directories', () => {
  it('mkdir and rmdir keep link counts; readdir lists the entries', async () => {
    await fsp.mkdir(mount.p('top'));
    await fsp.mkdir(mount.p('top', 'a'));
    await fsp.mkdir(mount.p('top', 'b'), { mode: 0o700 });
    await fsp.writeFile(mount.p('top', 'f'), '');
    expect((await fsp.stat(mount.p('top'))).nlink).toBe(4);
    expect((await fsp.stat(mount.p('top', 'b'))).mode & 0o7777).toBe(0o700);
    expect((await fsp.readdir(mount.p('top'))).sort()).toEqual(['a', 'b', 'f']);
    const ls = await runOk('ls', ['-a', mount.p('top')]);
    expect(ls.split('\n').filter(Boolean).sort()).toEqual(['.', '..', 'a', 'b', 'f']);
    await fsp.rmdir(mount.p('top', 'a'));
    expect((await fsp.stat(mount.p('top'))).nlink).toBe(3);
  });

  it('mkdir of an existing name is EEXIST, in a missing directory ENOENT; rmdir of a non-empty directory ENOTEMPTY, of a file ENOTDIR', async () => {
    await fsp.mkdir(mount.p('d1'));
    await fsp.writeFile(mount.p('d1', 'x'), '');
    expect(await codeOf(fsp.mkdir(mount.p('d1')))).toBe('EEXIST');
    expect(await codeOf(fsp.mkdir(mount.p('nope', 'd')))).toBe('ENOENT');
    expect(await codeOf(fsp.rmdir(mount.p('d1')))).toBe('ENOTEMPTY');
    expect(await codeOf(fsp.rmdir(mount.p('d1', 'x')))).toBe('ENOTDIR');
  });

  it('a directory of 1,500 entries lists every one', async () => {
    await fsp.mkdir(mount.p('many'));
    const names = Array.from({ length: 1500 }, (_, i) => `entry-${String(i).padStart(4, '0')}`);
    for (let i = 0; i < names.length; i += 100) await Promise.all(names.slice(i, i + 100).map((n) => sdk.mkdir(`/many/${n}`)));
    expect((await fsp.readdir(mount.p('many'))).sort()).toEqual(names);
  });

  it('ls -l gets every entry\'s attributes with the listing (READDIRPLUS); the names the kernel learnt that way work, and are given back without harm', async () => {
    await sdk.mkdir('/plus');
    const names = Array.from({ length: 300 }, (_, i) => `p${String(i).padStart(3, '0')}`);
    for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((n, j) => sdk.writeFile(`/plus/${n}`, 'x'.repeat(i + j), { mode: (i + j) % 2 === 0 ? 0o600 : 0o644 })));
    const listed = async (): Promise<string[]> =>
      (await runOk('ls', ['-ln', mount.p('plus')]))
        .split('\n')
        .filter((line) => line.startsWith('-'))
        .map((line) => line.split(/\s+/))
        .map((f) => `${f[8]} ${f[0]?.slice(0, 10)} ${f[4]}`);
    const expected = names.map((n, i) => `${n} ${i % 2 === 0 ? '-rw-------' : '-rw-r--r--'} ${i}`);
    expect(await listed()).toEqual(expected);
    // Files reached through the names the listing gave the kernel: the mount counted them as looked up.
    for (const i of [0, 1, 150, 299]) expect(await fsp.readFile(mount.p('plus', names[i] as string), 'utf8')).toBe('x'.repeat(i));
    await fsp.chmod(mount.p('plus', 'p007'), 0o640);
    await fsp.rename(mount.p('plus', 'p008'), mount.p('plus', 'q008'));
    expect((await listed()).filter((l) => l.startsWith('p007') || l.startsWith('q008'))).toEqual(['p007 -rw-r----- 7', 'q008 -rw------- 8']);
    // The kernel gives every name back (FORGET); they are looked up again and still lead to their files.
    await fsp.writeFile('/proc/sys/vm/drop_caches', '2');
    expect((await listed()).length).toBe(300);
    for (const i of [2, 151, 298]) expect(await fsp.readFile(mount.p('plus', names[i] as string), 'utf8')).toBe('x'.repeat(i));
  });

  it('lookups answered from listing pages (ls -l, statahead) see changes through this mount at once, and changes elsewhere within the cache time', async () => {
    await fsp.mkdir(mount.p('listed'));
    const names = Array.from({ length: 60 }, (_, i) => `f${String(i).padStart(2, '0')}`);
    await Promise.all(names.map((n, i) => sdk.writeFile(`/listed/${n}`, 'x'.repeat(i))));
    expect((await fsp.readdir(mount.p('listed'))).sort()).toEqual(names); // stores the listing
    await fsp.unlink(mount.p('listed', 'f10'));
    await fsp.rename(mount.p('listed', 'f11'), mount.p('listed', 'g11'));
    await fsp.chmod(mount.p('listed', 'f12'), 0o600);
    await fsp.appendFile(mount.p('listed', 'f13'), 'more');
    expect(await codeOf(fsp.stat(mount.p('listed', 'f10')))).toBe('ENOENT');
    expect(await codeOf(fsp.stat(mount.p('listed', 'f11')))).toBe('ENOENT');
    expect((await fsp.stat(mount.p('listed', 'g11'))).size).toBe(11);
    expect((await fsp.stat(mount.p('listed', 'f12'))).mode & 0o777).toBe(0o600);
    expect((await fsp.stat(mount.p('listed', 'f13'))).size).toBe(13 + 4);
    // Every name in order (the pattern that fetches pages ahead): right sizes.
    for (const [i, n] of names.entries()) {
      if (i >= 10 && i <= 13) continue;
      expect((await fsp.lstat(mount.p('listed', n))).size).toBe(i);
    }
    // A change made elsewhere shows within the name cache time, as for the kernel's own cache.
    await sdk.unlink('/listed/f20');
    await waitFor(async () => (await codeOf(fsp.stat(mount.p('listed', 'f20')))) === 'ENOENT', 3000, 'the removed name to go');
  });
});

describe.skipIf(skip !== undefined)('rename', () => {
  it('moves a file across directories; the old name is gone and the inode is kept', async () => {
    await fsp.mkdir(mount.p('r1'));
    await fsp.mkdir(mount.p('r2'));
    await fsp.writeFile(mount.p('r1', 'f'), 'moved');
    const ino = (await fsp.stat(mount.p('r1', 'f'))).ino;
    await fsp.rename(mount.p('r1', 'f'), mount.p('r2', 'g'));
    expect(await codeOf(fsp.stat(mount.p('r1', 'f')))).toBe('ENOENT');
    expect(await fsp.readFile(mount.p('r2', 'g'), 'utf8')).toBe('moved');
    expect((await fsp.stat(mount.p('r2', 'g'))).ino).toBe(ino);
  });

  it('replaces an existing file and an empty directory; refuses a non-empty one (ENOTEMPTY) and mixed kinds (EISDIR, ENOTDIR)', async () => {
    await fsp.writeFile(mount.p('src'), 'new');
    await fsp.writeFile(mount.p('dst'), 'old');
    await fsp.rename(mount.p('src'), mount.p('dst'));
    expect(await fsp.readFile(mount.p('dst'), 'utf8')).toBe('new');
    await fsp.mkdir(mount.p('dir-src'));
    await fsp.writeFile(mount.p('dir-src', 'inside'), 'kept');
    await fsp.mkdir(mount.p('dir-empty'));
    await fsp.rename(mount.p('dir-src'), mount.p('dir-empty'));
    expect(await fsp.readFile(mount.p('dir-empty', 'inside'), 'utf8')).toBe('kept');
    await fsp.mkdir(mount.p('dir-full'));
    await fsp.writeFile(mount.p('dir-full', 'x'), '');
    await fsp.mkdir(mount.p('dir-other'));
    expect(await codeOf(fsp.rename(mount.p('dir-other'), mount.p('dir-full')))).toBe('ENOTEMPTY');
    expect(await codeOf(fsp.rename(mount.p('dst'), mount.p('dir-other')))).toBe('EISDIR');
    expect(await codeOf(fsp.rename(mount.p('dir-other'), mount.p('dst')))).toBe('ENOTDIR');
  });

  it('moving a directory moves its whole subtree; moving it into itself is EINVAL', async () => {
    await fsp.mkdir(mount.p('tree', 'a', 'b'), { recursive: true });
    await fsp.writeFile(mount.p('tree', 'a', 'b', 'leaf'), 'leaf');
    await fsp.rename(mount.p('tree', 'a'), mount.p('moved-a'));
    expect(await fsp.readFile(mount.p('moved-a', 'b', 'leaf'), 'utf8')).toBe('leaf');
    expect(await codeOf(fsp.rename(mount.p('moved-a'), mount.p('moved-a', 'b', 'inside')))).toBe('EINVAL');
  });

  it('a file unlinked while open stays usable through its descriptor (fstat: nlink 0) until closed; its name is gone at once', async () => {
    await fsp.mkdir(mount.p('unl'));
    await fsp.writeFile(mount.p('unl', 'f'), 'still readable');
    const handle = await fsp.open(mount.p('unl', 'f'), 'r+');
    await fsp.unlink(mount.p('unl', 'f'));
    expect(await codeOf(fsp.stat(mount.p('unl', 'f')))).toBe('ENOENT');
    expect((await handle.stat()).nlink).toBe(0);
    expect((await handle.read(Buffer.alloc(14), 0, 14, 0)).buffer.toString()).toBe('still readable');
    await handle.write(Buffer.from('STILL'), 0, 5, 0);
    expect((await handle.read(Buffer.alloc(14), 0, 14, 0)).buffer.toString()).toBe('STILL readable');
    await handle.close();
    await waitFor(async () => (await fsp.readdir(mount.p('unl'))).length === 0, 5000, 'the hidden name to go');
    await fsp.rmdir(mount.p('unl'));
  });

  it('a file fsynced, closed and unlinked at once (a database journal) is removed, not hidden as if still open', async () => {
    // close(2) returns before the kernel's RELEASE is done (the writer still gives back its lease),
    // so the unlink must wait for it rather than find the file open and rename it to a hidden name.
    await fsp.mkdir(mount.p('journals'));
    const before = (await sdk.stat('/journals')).dirVersion;
    const rounds = 8;
    const script = `d = ${JSON.stringify(mount.p('journals'))}
for i in range(${rounds}):
    p = os.path.join(d, 'db-journal')
    fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o644)
    os.pwrite(fd, b'j' * 512, 0)
    os.fdatasync(fd)
    os.close(fd)
    os.unlink(p)
print('done')`;
    expect(await py(script)).toBe('done');
    expect(await fsp.readdir(mount.p('journals'))).toEqual([]);
    // One create and one unlink each: a hidden rename and its removal would move it twice more.
    expect((await sdk.stat('/journals')).dirVersion - before).toBe(2 * rounds);
  });

  it('a rename over a file open for reading leaves the reader with the old contents', async () => {
    await fsp.writeFile(mount.p('old-contents'), 'old');
    const reader = await fsp.open(mount.p('old-contents'), 'r');
    await fsp.writeFile(mount.p('new-contents'), 'new');
    await fsp.rename(mount.p('new-contents'), mount.p('old-contents'));
    expect((await reader.read(Buffer.alloc(3), 0, 3, 0)).buffer.toString()).toBe('old');
    await reader.close();
    expect(await fsp.readFile(mount.p('old-contents'), 'utf8')).toBe('new');
  });

  it('an open file keeps working after it is renamed', async () => {
    const handle = await fsp.open(mount.p('open-renamed'), 'w+');
    await handle.write('before ');
    await fsp.rename(mount.p('open-renamed'), mount.p('open-renamed-2'));
    await handle.write('after');
    await handle.close();
    expect(await fsp.readFile(mount.p('open-renamed-2'), 'utf8')).toBe('before after');
  });
});

describe.skipIf(skip !== undefined)('links', () => {
  it('symlink, readlink and lstat; following it reads the target; a dangling link is ENOENT to stat', async () => {
    await fsp.writeFile(mount.p('target.txt'), 'through the link');
    await fsp.symlink('target.txt', mount.p('link'));
    expect(await fsp.readlink(mount.p('link'))).toBe('target.txt');
    const lst = await fsp.lstat(mount.p('link'));
    expect(lst.isSymbolicLink()).toBe(true);
    expect(lst.size).toBe('target.txt'.length);
    expect(await fsp.readFile(mount.p('link'), 'utf8')).toBe('through the link');
    await fsp.symlink('/nowhere/at/all', mount.p('dangling'));
    expect(await codeOf(fsp.stat(mount.p('dangling')))).toBe('ENOENT');
    expect(await codeOf(fsp.symlink('x', mount.p('link')))).toBe('EEXIST');
  });

  it('hard links share the inode and the data, count links, and keep the data until the last name goes', async () => {
    await fsp.mkdir(mount.p('hl'));
    await fsp.writeFile(mount.p('hl', 'a'), 'shared');
    await fsp.link(mount.p('hl', 'a'), mount.p('hl', 'b'));
    const [a, b] = await Promise.all([fsp.stat(mount.p('hl', 'a')), fsp.stat(mount.p('hl', 'b'))]);
    expect(a.ino).toBe(b.ino);
    expect([a.nlink, b.nlink]).toEqual([2, 2]);
    await fsp.appendFile(mount.p('hl', 'b'), ' data');
    expect(await fsp.readFile(mount.p('hl', 'a'), 'utf8')).toBe('shared data');
    await fsp.unlink(mount.p('hl', 'a'));
    expect((await fsp.stat(mount.p('hl', 'b'))).nlink).toBe(1);
    expect(await fsp.readFile(mount.p('hl', 'b'), 'utf8')).toBe('shared data');
    expect(await codeOf(fsp.link(mount.p('hl'), mount.p('hl-dir-link')))).toBe('EPERM');
    expect(await codeOf(fsp.link(mount.p('hl', 'b'), mount.p('hl', 'b')))).toBe('EEXIST');
  });
});

describe.skipIf(skip !== undefined)('attributes', () => {
  it('chmod, chown and utimes change what stat reports, and move ctime; chown clears setuid as Linux does', async () => {
    await fsp.writeFile(mount.p('attrs'), 'x');
    const before = await fsp.stat(mount.p('attrs'));
    await fsp.chmod(mount.p('attrs'), 0o4751);
    await fsp.chown(mount.p('attrs'), 1, 1);
    expect((await fsp.stat(mount.p('attrs'))).mode & 0o7777).toBe(0o751);
    await fsp.chown(mount.p('attrs'), 1234, 5678);
    await fsp.chmod(mount.p('attrs'), 0o4751);
    const when = new Date('2020-02-03T04:05:06.789Z');
    const accessed = new Date('2021-01-01T00:00:00.500Z');
    await fsp.utimes(mount.p('attrs'), accessed, when);
    const st = await fsp.stat(mount.p('attrs'));
    expect(st.mode & 0o7777).toBe(0o4751);
    expect([st.uid, st.gid]).toEqual([1234, 5678]);
    expect(st.mtimeMs).toBe(when.getTime());
    expect(st.atimeMs).toBe(accessed.getTime());
    expect(st.ctimeMs).toBeGreaterThanOrEqual(before.ctimeMs);
  });

  it('a chmod right after a mapped file is unmapped lands after the chmod made while it was mapped', async () => {
    // close(2) of a mapped file sends FLUSH, and its RELEASE only at munmap, which writes the
    // mapping's dirty pages first: the RELEASE then commits them, and only after that sends the
    // chmod held while the file had a writer. The chmod that follows the munmap must win.
    const own = await Mount.start(cluster);
    const paths = [0, 1, 2].map((i) => own.p(`mapped${i}`));
    try {
      for (const p of paths) {
        // libc's mmap and munmap, as a C program calls them (Python's mmap keeps a copy of the
        // descriptor, whose close would send a FLUSH at the munmap).
        await py(`import ctypes, mmap
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
p = ${JSON.stringify(p)}
fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o644)
os.write(fd, b'x' * 8192)
addr = libc.mmap(None, 8192, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_SHARED, fd, 0)
if addr in (None, ctypes.c_void_p(-1).value): sys.exit('mmap failed')
os.close(fd)
os.chmod(p, 0o600)
ctypes.memmove(addr, b'dirty', 5)
if libc.munmap(addr, 8192) != 0: sys.exit('munmap failed')
os.chmod(p, 0o640)`);
      }
    } finally {
      await own.stop(); // every RELEASE done and every held change sent
    }
    for (const [i, p] of paths.entries()) {
      const st = await sdk.lstat(`/mapped${i}`);
      expect([p, (st.mode & 0o777).toString(8)]).toEqual([p, '640']);
      expect((await sdk.readFile(`/mapped${i}`)).subarray(0, 5).toString()).toBe('dirty');
    }
  });

  it('touch -m sets only mtime; writing through the mount moves mtime', async () => {
    await fsp.writeFile(mount.p('times'), 'x');
    await fsp.utimes(mount.p('times'), new Date(1_000_000), new Date(2_000_000));
    await runOk('touch', ['-m', '-d', '@3000', mount.p('times')]);
    const st = await fsp.stat(mount.p('times'));
    expect([st.atimeMs, st.mtimeMs]).toEqual([1_000_000, 3_000_000]);
    await fsp.appendFile(mount.p('times'), 'more');
    expect((await fsp.stat(mount.p('times'))).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
  });

  it('statfs reports the capacity and free space of the cluster', async () => {
    const st = await fsp.statfs(mount.p());
    const sdkStat = await sdk.statfs();
    expect(st.blocks * st.bsize).toBeGreaterThan(0);
    expect(Math.abs(st.blocks * st.bsize - sdkStat.capacityBytes)).toBeLessThan(1024 * 1024 * 1024);
    expect(st.bavail).toBeGreaterThan(0);
    const df = await runOk('df', ['-P', mount.p()]);
    expect(df).toContain('cairn@');
  });
});

describe.skipIf(skip !== undefined)('extended attributes', () => {
  it('set, get, list and remove user.* attributes; ENODATA for a missing one; XATTR_CREATE on an existing one is EEXIST', async () => {
    await fsp.writeFile(mount.p('xa'), 'x');
    const file = mount.p('xa');
    const out = await py(`
f = ${JSON.stringify(file)}
os.setxattr(f, 'user.color', b'blue')
os.setxattr(f, 'user.empty', b'')
print(os.getxattr(f, 'user.color').decode(), sorted(os.listxattr(f)))
try:
    os.setxattr(f, 'user.color', b'red', os.XATTR_CREATE)
except OSError as e:
    print(errno.errorcode[e.errno])
os.setxattr(f, 'user.color', b'red', os.XATTR_REPLACE)
print(os.getxattr(f, 'user.color').decode())
os.removexattr(f, 'user.color')
try:
    os.getxattr(f, 'user.color')
except OSError as e:
    print(errno.errorcode[e.errno])
try:
    os.setxattr(f, 'system.cairn', b'x')
except OSError as e:
    print(errno.errorcode[e.errno])
print(sorted(os.listxattr(f)))
try:
    os.getxattr(f, 'security.capability')
except OSError as e:
    print(errno.errorcode[e.errno])
`);
    // File capabilities are not stored: asked for (as the kernel does before every write), ENODATA.
    expect(out.split('\n')).toEqual(["blue ['user.color', 'user.empty']", 'EEXIST', 'red', 'ENODATA', 'ENOTSUP', "['user.empty']", 'ENODATA']);
    expect((await sdk.getxattr('/xa', 'user.empty')).length).toBe(0);
  });
});

describe.skipIf(skip !== undefined)('permissions of the calling process', () => {
  it('a non-root user cannot write or remove a root 0644 file (EACCES) but can read it', async () => {
    await fsp.writeFile(mount.p('roots.txt'), 'root data');
    await fsp.chmod(mount.p('roots.txt'), 0o644);
    expect(await asUser(1000, 1000, `await fs.appendFile(${JSON.stringify(mount.p('roots.txt'))}, 'x')`)).toBe('EACCES');
    expect(await asUser(1000, 1000, `await fs.truncate(${JSON.stringify(mount.p('roots.txt'))}, 0)`)).toBe('EACCES');
    expect(await asUser(1000, 1000, `await fs.unlink(${JSON.stringify(mount.p('roots.txt'))})`)).toBe('EACCES');
    expect(await asUser(1000, 1000, `return await fs.readFile(${JSON.stringify(mount.p('roots.txt'))}, 'utf8')`)).toBe('root data');
    expect(await fsp.readFile(mount.p('roots.txt'), 'utf8')).toBe('root data');
  });

  it('files a user creates belong to that user; others cannot write them or chmod them (EPERM)', async () => {
    await fsp.mkdir(mount.p('shared'));
    await fsp.chmod(mount.p('shared'), 0o1777);
    const file = JSON.stringify(mount.p('shared', 'mine'));
    expect(await asUser(1000, 1000, `await fs.writeFile(${file}, 'mine'); await fs.mkdir(${JSON.stringify(mount.p('shared', 'mydir'))})`)).toBe('ok');
    const st = await fsp.stat(mount.p('shared', 'mine'));
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([1000, 1000, 0o644]);
    expect((await fsp.stat(mount.p('shared', 'mydir'))).uid).toBe(1000);
    expect(await asUser(1001, 1001, `await fs.writeFile(${file}, 'theirs')`)).toBe('EACCES');
    expect(await asUser(1001, 1001, `await fs.chmod(${file}, 0o777)`)).toBe('EPERM');
    expect(await asUser(1001, 1001, `await fs.unlink(${file})`)).toBe('EPERM'); // sticky directory
    expect(await asUser(1000, 1000, `await fs.chmod(${file}, 0o600); return (await fs.readFile(${file}, 'utf8'))`)).toBe('mine');
    expect(await asUser(1001, 1001, `return await fs.readFile(${file}, 'utf8')`)).toBe('EACCES');
  });

  it('a directory made in a setgid directory takes its group and setgid bit, so the tree keeps the group', async () => {
    await fsp.mkdir(mount.p('shared-group'));
    await fsp.chown(mount.p('shared-group'), 0, 4343);
    await fsp.chmod(mount.p('shared-group'), 0o2775);
    await fsp.mkdir(mount.p('shared-group', 'sub'), 0o755);
    await fsp.writeFile(mount.p('shared-group', 'sub', 'f'), 'x');
    const sub = await fsp.stat(mount.p('shared-group', 'sub'));
    expect([sub.gid, sub.mode & 0o7777]).toEqual([4343, 0o2755]);
    expect((await fsp.stat(mount.p('shared-group', 'sub', 'f'))).gid).toBe(4343);
  });

  it('a user reaches a directory through one of its supplementary groups, as the kernel allows', async () => {
    await fsp.mkdir(mount.p('team'));
    await fsp.chown(mount.p('team'), 0, 4242);
    await fsp.chmod(mount.p('team'), 0o770);
    const file = JSON.stringify(mount.p('team', 'from-member'));
    expect(await asMember(1000, 1000, [4242], `await fs.writeFile(${file}, 'member'); return await fs.readFile(${file}, 'utf8')`)).toBe('member');
    // The owner may give its file to one of its supplementary groups (chgrp).
    expect(await asMember(1000, 1000, [4242], `await fs.chown(${file}, 1000, 4242)`)).toBe('ok');
    expect((await fsp.stat(mount.p('team', 'from-member'))).gid).toBe(4242);
    expect(await asMember(1001, 1001, [4343], `await fs.writeFile(${JSON.stringify(mount.p('team', 'outsider'))}, 'x')`)).toBe('EACCES');
  });

  it('a non-root user cannot create in a root 0755 directory (EACCES) nor chown (EPERM)', async () => {
    await fsp.mkdir(mount.p('locked'), { mode: 0o755 });
    expect(await asUser(1000, 1000, `await fs.writeFile(${JSON.stringify(mount.p('locked', 'x'))}, 'x')`)).toBe('EACCES');
    expect(await asUser(1000, 1000, `await fs.mkdir(${JSON.stringify(mount.p('locked', 'd'))})`)).toBe('EACCES');
    await fsp.mkdir(mount.p('own'));
    await fsp.chmod(mount.p('own'), 0o777);
    expect(await asUser(1000, 1000, `await fs.writeFile(${JSON.stringify(mount.p('own', 'f'))}, 'x'); await fs.chown(${JSON.stringify(mount.p('own', 'f'))}, 0, 0)`)).toBe('EPERM');
  });

  it('a write, truncate or O_TRUNC by a non-root user clears setuid, and setgid when the group may execute, as Linux does; root keeps them', async () => {
    // The mount clears them itself (HANDLE_KILLPRIV_V2): the kernel only flags the requests.
    const modes = async (...names: string[]): Promise<number[]> => Promise.all(names.map(async (n) => (await fsp.stat(mount.p('ids', n))).mode & 0o7777));
    await fsp.mkdir(mount.p('ids'), { mode: 0o777 });
    const files: Array<[string, number]> = [['written', 0o4777], ['gx', 0o2777], ['g', 0o2767], ['cut', 0o6777], ['opened', 0o4777], ['rooted', 0o6777]];
    for (const [name, mode] of files) {
      await fsp.writeFile(mount.p('ids', name), 'x');
      await fsp.chmod(mount.p('ids', name), mode);
    }
    const p = (name: string): string => JSON.stringify(mount.p('ids', name));
    const script = [
      `for (const n of [${p('written')}, ${p('gx')}, ${p('g')}]) await fs.appendFile(n, 'more');`,
      `await fs.truncate(${p('cut')}, 0);`,
      `await (await fs.open(${p('opened')}, 'w')).close();`,
    ].join(' ');
    expect(await asUser(1000, 1000, script)).toBe('ok');
    await fsp.appendFile(mount.p('ids', 'rooted'), 'more'); // root has CAP_FSETID
    expect(await modes('written', 'gx', 'g', 'cut', 'opened', 'rooted')).toEqual([0o777, 0o777, 0o2767, 0o777, 0o777, 0o6777]);
    expect((await sdk.stat('/ids/written')).mode & 0o7777).toBe(0o777); // on the namenode, not only in the mount's view
    expect(await fsp.readFile(mount.p('ids', 'written'), 'utf8')).toBe('xmore');

    // As tar does through one descriptor: write, set the owner (which clears the bits), then the
    // mode it wants (setuid kept), then close.
    const handle = await fsp.open(mount.p('ids', 'tarred'), 'w');
    await handle.write('content');
    await handle.chown(1000, 1000);
    await handle.chmod(0o4755);
    await handle.close();
    expect(await modes('tarred')).toEqual([0o4755]);
    expect((await sdk.stat('/ids/tarred')).mode & 0o7777).toBe(0o4755);
    await fsp.chown(mount.p('ids', 'tarred'), 1001, 1001); // a chown by root clears setuid too
    expect(await modes('tarred')).toEqual([0o755]);
  });
});
