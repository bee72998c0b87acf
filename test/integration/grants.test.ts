// Directory grants and creates of reserved inodes (namenode/grants.ts, the namenode's half of
// client/fuse/early-creates.ts), over real gRPC and framed TCP to a real namenode: a create that
// asks gets the grant and reserved inode numbers; a create of a reserved inode is idempotent;
// another client's operation on the directory waits the grant out, then sees every create the
// holder sent, and the holder hears that it must stop.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CairnClient, Granted } from '../../client/sdk/index.js';
import { MiniCluster } from '../helpers/mini-cluster.js';
import { codeOf } from '../helpers/mount.js';

let cluster: MiniCluster;
let holder: CairnClient;
let other: CairnClient;

beforeAll(async () => {
  cluster = await MiniCluster.start({ datanodes: 1, chunkSizeBytes: 1024 * 1024 });
  holder = cluster.client();
  other = cluster.client();
});
afterAll(async () => {
  await cluster?.stop();
});

/** A create that asks for the directory's grant and `reserve` inode numbers: what it got. */
async function createAsking(client: CairnClient, path: string, reserve: number): Promise<Granted> {
  let granted: Granted | undefined;
  const handle = await client.open(path, 'wx', 0o644, { leaseAtFirstWrite: true, wantGrant: true, reserve, onGranted: (g) => (granted = g) });
  await handle.close();
  expect(granted).toBeDefined();
  return granted as Granted;
}

describe('directory grants', () => {
  it('a create that asks gets the grant and inode numbers; a reserved inode is created once', async () => {
    await holder.mkdir('/g1');
    const dir = (await holder.lstat('/g1')).ino;
    const g = await createAsking(holder, '/g1/first', 16);
    expect(g.grantMs).toBeGreaterThan(0);
    expect(g.reservedCount).toBe(16);
    const first = (await holder.lstat('/g1/first')).ino;
    expect(g.reservedFrom).toBeGreaterThan(first);

    const ino = g.reservedFrom;
    const reply = await holder.createReserved('/g1/ahead', dir, ino, 0o640);
    expect(reply.grantMs).toBeGreaterThan(0); // the holder's create extends its grant
    expect(reply.attr?.inode).toBe(ino);
    // Sent again (its answer lost): the same file, nothing changed.
    const again = await holder.createReserved('/g1/ahead', dir, ino, 0o640);
    expect(again.attr?.inode).toBe(ino);
    expect(again.dirs).toEqual([]);
    const s = await holder.lstat('/g1/ahead');
    expect(s.ino).toBe(ino);
    expect(s.mode & 0o7777).toBe(0o640);
    // Another reserved inode under a taken name; an inode never handed out; a directory that is a file.
    expect(await codeOf(holder.createReserved('/g1/ahead', dir, ino + 1, 0o644))).toBe('EEXIST');
    expect(await codeOf(holder.createReserved('/g1/x', dir, g.reservedFrom + 1_000_000, 0o644))).toBe('EINVAL');
    expect(await codeOf(holder.createReserved('/g1/x', first, ino + 2, 0o644))).toBe('ENOTDIR');
    // Only root: the namenode walks no path, so checks no search permission.
    expect(await codeOf(cluster.client({ uid: 1000, gid: 1000 }).createReserved('/g1/y', dir, ino + 3, 0o644))).toBe('EPERM');
    expect((await holder.readdir('/g1')).sort()).toEqual(['ahead', 'first']);
  });

  it("another client's operation waits the grant out, sees the holder's creates, and the holder is told to stop", async () => {
    await holder.mkdir('/g2');
    const dir = (await holder.lstat('/g2')).ino;
    const g = await createAsking(holder, '/g2/first', 64);
    expect(g.grantMs).toBeGreaterThan(0);
    await other.stat('/'); // its connection made
    // The other client's listing first, then the holder's creates, sent without waiting: the
    // listing waits the grant out, which every create that arrives meanwhile extends.
    const listing = other.readdir('/g2');
    const sent = Array.from({ length: 20 }, (_, i) => holder.createReserved(`/g2/f${i}`, dir, g.reservedFrom + i, 0o644));
    const replies = await Promise.all(sent);
    expect((await listing).length).toBe(21);
    // The grant was waited out: a create of the holder's after that holds no grant.
    const after = await holder.createReserved('/g2/late', dir, g.reservedFrom + 30, 0o644);
    expect(after.grantMs).toBe(0);
    expect(replies.map((r) => r.attr?.inode)).toEqual(Array.from({ length: 20 }, (_, i) => g.reservedFrom + i));
    // And the directory is shared now: no grant is given there.
    expect((await createAsking(holder, '/g2/asks-again', 0)).grantMs).toBe(0);

    // A create made, then removed by the other client, then sent again (its answer lost): not made again.
    await other.unlink('/g2/f3');
    expect(await codeOf(holder.createReserved('/g2/f3', dir, g.reservedFrom + 3, 0o644))).toBe('ESTALE');
    expect(await codeOf(other.lstat('/g2/f3'))).toBe('ENOENT');
    // A reserved inode of another client's is refused.
    expect(await codeOf(other.createReserved('/g2/theirs', dir, g.reservedFrom + 40, 0o644))).toBe('EINVAL');
  });

  it('the holder keeps its grant while nobody else touches the directory', async () => {
    await holder.mkdir('/g3');
    const g = await createAsking(holder, '/g3/first', 0);
    expect(g.grantMs).toBeGreaterThan(0);
    // Its own operations there are not foreign.
    expect(await holder.readdir('/g3')).toEqual(['first']);
    expect((await createAsking(holder, '/g3/second', 0)).grantMs).toBeGreaterThan(0);
  });
});
