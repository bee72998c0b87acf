// What a change answers besides doing it, so that a client need not ask again (the FUSE mount
// saves a namenode call per create, unlink, mkdir... and per file tar extracts): the changed
// directories' attributes after the change, the node made, and a close's commit that releases
// the lease and carries attribute changes. Real namenode and datanode processes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CairnClient, Changed, FileHandle } from '../../client/sdk/index.js';
import type { Stats } from '../../client/sdk/stats.js';
import { NamenodeClient } from '../../client/sdk/namenode-client.js';
import { MiniCluster } from '../helpers/mini-cluster.js';
import { codeOf } from '../helpers/mount.js';
import { pseudoRandomBytes, sha256 } from '../helpers/data.js';

let cluster: MiniCluster;
let fs: CairnClient;

beforeAll(async () => {
  cluster = await MiniCluster.start({ datanodes: 3, chunkSizeBytes: 1024 * 1024 });
  fs = cluster.client();
  await fs.mkdir('/c');
});
afterAll(async () => {
  await cluster?.stop();
});

/** Runs `change` with an onChanged that records what it reports. */
async function reported(change: (onChanged: (c: Changed) => void) => Promise<unknown>): Promise<Changed> {
  let got: Changed | undefined;
  await change((c) => (got = c));
  expect(got).toBeDefined();
  return got as Changed;
}

/** The attributes a cache keeps, as lstat reports them now. */
async function current(path: string): Promise<Pick<Stats, 'ino' | 'mode' | 'nlink' | 'mtimeMs' | 'ctimeMs' | 'size'>> {
  const s = await fs.lstat(path);
  return { ino: s.ino, mode: s.mode, nlink: s.nlink, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, size: s.size };
}

const keptOf = (s: Stats) => ({ ino: s.ino, mode: s.mode, nlink: s.nlink, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, size: s.size });

describe('changes report the directories they changed, as they are after the change', () => {
  it('mkdir, create, symlink, link, rename, unlink and rmdir each report what lstat says next', async () => {
    let c = await reported((onChanged) => fs.mkdir('/c/d', { onChanged }));
    expect(c.dirs.map(keptOf)).toEqual([await current('/c')]);
    expect(keptOf(c.node as Stats)).toEqual(await current('/c/d'));
    expect((await fs.lstat('/c')).nlink).toBe(3); // the new directory's ".."

    c = await reported(async (onChanged) => (await fs.open('/c/d/f', 'wx', 0o640, { onChanged })).close());
    expect(c.dirs.map(keptOf)).toEqual([await current('/c/d')]);

    c = await reported((onChanged) => fs.symlink('f', '/c/d/s', { onChanged }));
    expect(c.dirs.map(keptOf)).toEqual([await current('/c/d')]);
    expect(keptOf(c.node as Stats)).toEqual(await current('/c/d/s'));

    c = await reported((onChanged) => fs.link('/c/d/f', '/c/f2', { onChanged }));
    expect(c.dirs.map(keptOf)).toEqual([await current('/c')]);
    expect(keptOf(c.node as Stats)).toEqual(await current('/c/f2'));
    expect(c.node?.nlink).toBe(2);

    // A rename between directories changes both.
    c = await reported((onChanged) => fs.rename('/c/f2', '/c/d/f3', { onChanged }));
    const byIno = new Map(c.dirs.map((d) => [d.ino, keptOf(d)]));
    expect(byIno.get((await fs.lstat('/c')).ino)).toEqual(await current('/c'));
    expect(byIno.get((await fs.lstat('/c/d')).ino)).toEqual(await current('/c/d'));

    for (const name of ['f', 's', 'f3']) {
      c = await reported((onChanged) => fs.unlink(`/c/d/${name}`, { onChanged }));
      expect(c.dirs.map(keptOf)).toEqual([await current('/c/d')]);
    }
    c = await reported((onChanged) => fs.rmdir('/c/d', { onChanged }));
    expect(c.dirs.map(keptOf)).toEqual([await current('/c')]);
    expect((await fs.lstat('/c')).nlink).toBe(2);
  });

  it('an unlink naming an inode removes the name only while it names that inode', async () => {
    await (await fs.open('/c/named', 'w')).close();
    const first = (await fs.lstat('/c/named')).ino;
    await fs.unlink('/c/named');
    await (await fs.open('/c/named', 'w')).close(); // made again under the name: another inode
    const second = (await fs.lstat('/c/named')).ino;
    expect(second).not.toBe(first);
    // The first unlink sent again (after a lost connection) must not remove the new file.
    expect(await codeOf(fs.unlink('/c/named', { expectIno: first }))).toBe('ESTALE');
    expect((await fs.lstat('/c/named')).ino).toBe(second);
    await fs.unlink('/c/named', { expectIno: second });
    expect(await codeOf(fs.lstat('/c/named'))).toBe('ENOENT');
    expect(await codeOf(fs.unlink('/c/named', { expectIno: second }))).toBe('ENOENT');
  });

  it('a lookup of an absent name can answer with the directory that lacks it, its version included (both transports)', async () => {
    await fs.mkdir('/c/look');
    await (await fs.open('/c/look/here', 'w')).close();
    await fs.symlink('/c/look/here', '/c/look/link');
    for (const client of [fs, cluster.client({ transport: 'grpc' })]) {
      const found = await client.lstatOrParent('/c/look/here');
      expect('stats' in found && found.stats.ino).toBe((await fs.lstat('/c/look/here')).ino);
      const link = await client.lstatOrParent('/c/look/link'); // the link itself, as lstat
      expect('stats' in link && [link.stats.isSymbolicLink(), link.stats.ino]).toEqual([true, (await fs.lstat('/c/look/link')).ino]);
      const dir = await fs.lstat('/c/look');
      const absent = await client.lstatOrParent('/c/look/nobody');
      expect('parent' in absent && [absent.parent.ino, absent.parent.dirVersion]).toEqual([dir.ino, dir.dirVersion]);
      expect(await codeOf(client.lstatOrParent('/c/nowhere/nobody'))).toBe('ENOENT'); // no directory to answer with
      expect(await codeOf(client.lstatOrParent('/c/look/here/nobody'))).toBe('ENOTDIR');
    }
    await fs.chmod('/c/look', 0o700);
    expect(await codeOf(cluster.client({ uid: 1000, gid: 1000 }).lstatOrParent('/c/look/nobody'))).toBe('EACCES');
    await fs.chmod('/c/look', 0o755);
    await (await fs.open('/c/look/new', 'w')).close();
    const moved = await fs.lstatOrParent('/c/look/nobody');
    expect('parent' in moved && moved.parent.dirVersion).toBe((await fs.lstat('/c/look')).dirVersion);
  });

  it('a failed change reports nothing', async () => {
    let calls = 0;
    expect(await codeOf(fs.unlink('/c/missing', { onChanged: () => calls++ }))).toBe('ENOENT');
    expect(await codeOf(fs.mkdir('/c', { onChanged: () => calls++ }))).toBe('EEXIST');
    expect(calls).toBe(0);
  });
});

describe('flushReleasing: the commit a close(2) makes', () => {
  it('carries attribute changes and releases the lease; the next write takes it again', async () => {
    const other = cluster.client();
    const handle = await fs.open('/c/tarred', 'w', 0o600);
    await handle.write(Buffer.from('archived bytes'), 0, 14, 0);
    const mtimeMs = Date.UTC(2020, 0, 2, 3, 4, 5);
    const after = await handle.flushReleasing({ mode: 0o644, mtimeMs });
    expect(after?.mode !== undefined && after.mode & 0o7777).toBe(0o644);
    expect(after?.mtimeMs).toBe(mtimeMs);
    const s = await other.lstat('/c/tarred');
    expect([s.mode & 0o7777, s.mtimeMs, s.size]).toEqual([0o644, mtimeMs, 14]);
    expect(await other.readFile('/c/tarred', 'utf8')).toBe('archived bytes');

    // The lease went with the commit: another client may open the file for writing now...
    const second = await other.open('/c/tarred', 'r+');
    await second.close();
    // ...and once this handle writes again it holds the lease again.
    await handle.write(Buffer.from('!'), 0, 1, 14);
    expect(await handle.flushReleasing()).toBeDefined();
    await handle.write(Buffer.from('?'), 0, 1, 15);
    expect(await codeOf(other.open('/c/tarred', 'r+'))).toBe('EBUSY');
    await handle.close();
    expect(await other.readFile('/c/tarred', 'utf8')).toBe('archived bytes!?');
  });

  it('a create leaves the lease to the first write (by default); an existing file is leased at open', async () => {
    const other = cluster.client();
    const lazy = await fs.open('/c/lazy', 'wx', 0o644);
    // Nothing written yet: the file is free for another writer.
    const second = await other.open('/c/lazy', 'r+');
    await second.close();
    await lazy.write(Buffer.from('first'), 0, 5, 0);
    expect(await codeOf(other.open('/c/lazy', 'r+'))).toBe('EBUSY');
    await lazy.close();
    expect(await other.readFile('/c/lazy', 'utf8')).toBe('first');
    // Closed unwritten, it leaves no lease behind either.
    await (await fs.open('/c/touched', 'wx', 0o644, { leaseAtFirstWrite: true })).close();
    await (await other.open('/c/touched', 'r+')).close();
    // Asked for, the lease is taken at the create, as HDFS's create takes it.
    const eager = await fs.open('/c/eager', 'wx', 0o644, { leaseAtFirstWrite: false });
    expect(await codeOf(other.open('/c/eager', 'r+'))).toBe('EBUSY');
    await eager.close();
    await (await other.open('/c/eager', 'r+')).close();
    // The option only concerns files the open creates.
    const existing = await fs.open('/c/lazy', 'a', 0o644, { leaseAtFirstWrite: true });
    expect(await codeOf(other.open('/c/lazy', 'r+'))).toBe('EBUSY');
    await existing.close();
    // Another writer took the lease first: the first write is EBUSY (its bytes are not kept for
    // later), and nothing of the other writer's is lost by it.
    const late = await fs.open('/c/late', 'wx', 0o644, { leaseAtFirstWrite: true });
    const taker = await other.open('/c/late', 'r+');
    await taker.write(Buffer.from('taker'), 0, 5, 0);
    expect(await codeOf(late.write(Buffer.from('late!'), 0, 5, 0))).toBe('EBUSY');
    await late.close();
    await taker.close();
    expect(await other.readFile('/c/late', 'utf8')).toBe('taker');
  });

  it('with writeBehind, a first write returns at once and a refusal is the answer of the next write or of close; accepted writes all land', async () => {
    const other = cluster.client();
    // Another writer takes the lease between the create and the first write.
    const late = await fs.open('/c/late-behind', 'wx+', 0o644, { leaseAtFirstWrite: true, writeBehind: true });
    const taker = await other.open('/c/late-behind', 'r+');
    await taker.write(Buffer.from('taker'), 0, 5, 0);
    await late.write(Buffer.from('late!'), 0, 5, 0); // accepted: the namenode is asked meanwhile
    // A read through the handle (the mount reads through its writer) neither reports the refusal
    // nor swallows it, and the refused bytes are not part of the file.
    expect((await late.read(Buffer.alloc(5), 0, 5, 0)).bytesRead).toBe(0);
    expect((await late.stat()).size).toBe(0);
    expect(await codeOf(late.close())).toBe('EBUSY');
    await taker.close();
    expect(await other.readFile('/c/late-behind', 'utf8')).toBe('taker');
    // Refused while more writes come: a later write or the close says so, and nothing of it lands.
    // (A chunk the namenode handed out ahead learns of the other writer at its commit, the close;
    // one prepared for the file learns it at once, and the next write is refused.)
    const later = await fs.open('/c/later-behind', 'wx', 0o644, { leaseAtFirstWrite: true, writeBehind: true });
    const holder = await other.open('/c/later-behind', 'r+');
    await later.write(Buffer.from('one'), 0, 3, 0);
    const answers = [await codeOf(later.write(Buffer.from('two'), 0, 3, 3)), await codeOf(later.close())];
    expect(answers[1]).toBe('EBUSY');
    expect([undefined, 'EBUSY']).toContain(answers[0]);
    await holder.close();
    expect((await other.stat('/c/later-behind')).size).toBe(0);
    // Nothing in the way: many writes, across chunks, made before the pipeline is open, all land in order.
    const data = pseudoRandomBytes(3 * 1024 * 1024 + 17, 41);
    const behind = await fs.open('/c/behind', 'wx', 0o644, { leaseAtFirstWrite: true, writeBehind: true });
    for (let at = 0; at < data.length; at += 100_000) await behind.write(data.subarray(at, at + 100_000), 0, Math.min(100_000, data.length - at), at);
    await behind.close();
    expect(sha256(await other.readFile('/c/behind'))).toBe(sha256(data));
    // Taking the lease again after a commit released it does not go behind: a stale view is redone
    // (this O_APPEND write lands at the real end, after another client's append).
    await appendAroundAnother(await fs.open('/c/log-behind', 'ax', 0o644, { leaseAtFirstWrite: true, writeBehind: true }), other);
    expect(await other.readFile('/c/log-behind', 'utf8')).toBe('a1;b1;a2;');
  });

  it('a handle that takes the lease again sees what another client wrote meanwhile: O_APPEND lands at the real end', async () => {
    const other = cluster.client();
    // Created without a lease; another client writes the file before the first write.
    const created = await fs.open('/c/appended', 'ax', 0o644, { leaseAtFirstWrite: true });
    await other.writeFile('/c/appended', 'other-');
    await created.write(Buffer.from('mine'));
    expect(created.sizeBytes).toBe(10);
    await created.close();
    expect(await other.readFile('/c/appended', 'utf8')).toBe('other-mine');
    // Released by a commit (a close(2) on the mount); another client appends; this handle appends again.
    await appendAroundAnother(await fs.open('/c/log', 'a'), other);
    expect(await other.readFile('/c/log', 'utf8')).toBe('a1;b1;a2;');
  });

  it('with nothing to commit it carries nothing (the caller sends the changes itself)', async () => {
    const handle = await fs.open('/c/empty', 'w');
    expect(await handle.flushReleasing({ mode: 0o600 })).toBeUndefined();
    expect((await fs.lstat('/c/empty')).mode & 0o7777).toBe(0o644);
    await handle.close();
  });

  it('changes the caller may not make are not applied, and the data still commits', async () => {
    await fs.mkdir('/c/u', { mode: 0o777 });
    const user = cluster.client({ uid: 1000, gid: 1000 });
    const handle = await user.open('/c/u/mine', 'w', 0o644);
    await handle.write(Buffer.from('data'), 0, 4, 0);
    const after = await handle.flushReleasing({ uid: 0, mode: 0o600 }); // only root may give a file away
    await handle.close();
    expect(after?.uid).toBe(1000);
    const s = await fs.lstat('/c/u/mine');
    expect([s.uid, s.mode & 0o7777, s.size]).toEqual([1000, 0o644, 4]);
    expect(await fs.readFile('/c/u/mine', 'utf8')).toBe('data');
  });
});

describe("a reader's open answers with the file's first chunks", () => {
  it('as GetChunks would, so that the first read needs no other namenode call', async () => {
    await fs.writeFile('/c/three-chunks', Buffer.alloc(2 * 1024 * 1024 + 5, 7));
    await fs.writeFile('/c/nothing', '');
    const namenode = new NamenodeClient(cluster.namenodeAddress, { secret: cluster.secret, uid: 0, gid: 0, clientId: 'reader' }, 10_000);
    try {
      const flags = { write: false, create: false, exclusive: false, truncate: false, mode: 0, replication: 0 };
      const opened = await namenode.open({ path: '/c/three-chunks', ...flags, chunks: 2 });
      expect(opened.chunksGiven).toBe(true);
      const listed = await namenode.getChunks(opened.attr?.inode ?? 0, 0, 2);
      const shape = (c: { index: number; chunkId: number; gen: number; lengthBytes: number; locations: unknown[] }) => [c.index, c.chunkId, c.gen, c.lengthBytes, c.locations.length];
      expect(opened.chunks.map(shape)).toEqual(listed.chunks.map(shape));
      expect(opened.chunks.map((c) => c.index)).toEqual([0, 1]);
      // Not asked, or nothing to give: no chunks.
      expect((await namenode.open({ path: '/c/three-chunks', ...flags, chunks: 0 })).chunksGiven).toBe(false);
      expect((await namenode.open({ path: '/c/nothing', ...flags, chunks: 8 })).chunksGiven).toBe(false);
      // A handle opened with them reads the whole file (the third chunk is fetched on demand).
      expect((await fs.readFile('/c/three-chunks')).equals(Buffer.alloc(2 * 1024 * 1024 + 5, 7))).toBe(true);
    } finally {
      namenode.shutdown();
    }
  });
});

/**
 * An appending handle writes "a1;", a commit releases its lease (a close(2) on the mount),
 * `other` appends "b1;", and the handle appends "a2;" and closes.
 */
async function appendAroundAnother(log: FileHandle, other: CairnClient): Promise<void> {
  await log.write(Buffer.from('a1;'));
  await log.flushReleasing();
  await other.appendFile(log.path, 'b1;');
  await log.write(Buffer.from('a2;'));
  await log.close();
}
