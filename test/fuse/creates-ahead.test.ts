// Creates a mount answers before its namenode call, under the directory's grant
// (client/fuse/early-creates.ts, namenode/grants.ts), with real mount processes: another mount
// sees the names and their contents at once; O_EXCL creates of the same names from two mounts
// at once succeed exactly once per name; a namenode SIGKILLed while creates answered ahead are on
// their way still has every one of them after its restart.

import fsp from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { aheadSetupOfFile } from '../helpers/ahead-setup.js';
import { waitFor } from '../helpers/mini-cluster.js';
import { codeOf, fuseUnavailable, runOk, type Mount } from '../helpers/mount.js';

const skip = fuseUnavailable();
/** Mounts `a` and `b` of one cluster; creates `a` answered ahead, and those whose call then failed, from its debug log. */
const ahead = aheadSetupOfFile('create answered ahead of its call', 'create answered ahead of its namenode call did not go through');

/**
 * How many of the namenode's (`pid`) client connections hold input it has not read (ss: Unix
 * and TCP). Not its gRPC port's: the datanodes' heartbeats arrive there.
 */
async function clientSocketsWithInput(pid: number): Promise<number> {
  const grpcPort = ahead.cluster.namenodeAddress.slice(ahead.cluster.namenodeAddress.lastIndexOf(':'));
  const out = await runOk('ss', ['-Hxtnp']);
  return out.split('\n').filter((line) => {
    const [, , recvQ, , local] = line.trim().split(/\s+/);
    return line.includes(`pid=${pid},`) && Number(recvQ) > 0 && local?.endsWith(grpcPort) !== true;
  }).length;
}

describe.skipIf(skip !== undefined)('creates answered ahead of the namenode', () => {
  it('the other mount sees every name and its contents at once', async () => {
    await fsp.mkdir(ahead.a.p('made'));
    const names = Array.from({ length: 200 }, (_, i) => `f${i}`);
    const before = ahead.answeredAhead();
    for (const name of names) await fsp.writeFile(ahead.a.p('made', name), `contents of ${name}`, { flag: 'wx', mode: 0o640 });
    expect(ahead.answeredAhead() - before).toBeGreaterThan(0);
    // No wait: b's listing reaches the namenode, which waits a's grant out first.
    expect((await fsp.readdir(ahead.b.p('made'))).sort()).toEqual([...names].sort());
    for (const name of ['f0', 'f1', 'f99', 'f199']) expect(await fsp.readFile(ahead.b.p('made', name), 'utf8')).toBe(`contents of ${name}`);
    const s = await fsp.stat(ahead.b.p('made', 'f150'));
    expect(s.mode & 0o7777).toBe(0o640);
    expect(s.uid).toBe(0);
    // a's own view agrees with the namenode's.
    expect((await fsp.stat(ahead.a.p('made', 'f150'))).ino).toBe(s.ino);
    // An empty file created ahead and closed unwritten, then renamed and removed at once.
    await fsp.writeFile(ahead.a.p('made', 'empty'), '', { flag: 'wx' });
    await fsp.rename(ahead.a.p('made', 'empty'), ahead.a.p('made', 'moved'));
    expect((await fsp.stat(ahead.b.p('made', 'moved'))).size).toBe(0);
    await fsp.unlink(ahead.a.p('made', 'moved')); // answered ahead too (early-unlinks.ts): its call follows the create's
    const client = ahead.cluster.client();
    await waitFor(async () => (await codeOf(client.lstat('/made/moved'))) === 'ENOENT', 5_000, 'the unlink to reach the namenode');
    expect(ahead.failedAhead()).toBe(0);
  });

  it('O_EXCL creates of the same names from two mounts at once: exactly one wins each name', async () => {
    await fsp.mkdir(ahead.a.p('race'));
    // a holds the directory's grant by the time b starts.
    for (let i = 0; i < 20; i++) await fsp.writeFile(ahead.a.p('race', `warm${i}`), '', { flag: 'wx' });
    const names = Array.from({ length: 150 }, (_, i) => `n${i}`);
    const createAll = async (m: Mount, order: string[], mark: string): Promise<Set<string>> => {
      const won = new Set<string>();
      for (const name of order) {
        try {
          await fsp.writeFile(m.p('race', name), mark, { flag: 'wx' });
          won.add(name);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
      }
      return won;
    };
    // The same order on both: b's first create waits a's grant out while a answers ahead, and
    // then must find every name a answered.
    const before = ahead.answeredAhead();
    const [wonA, wonB] = await Promise.all([createAll(ahead.a, names, 'a'), createAll(ahead.b, names, 'b')]);
    expect(ahead.answeredAhead() - before).toBeGreaterThan(0);
    for (const name of names) expect(Number(wonA.has(name)) + Number(wonB.has(name)), name).toBe(1);
    const client = ahead.cluster.client();
    for (const name of names) {
      const winner = wonA.has(name) ? 'a' : 'b';
      expect((await client.readFile(`/race/${name}`)).toString(), name).toBe(winner);
    }
    expect(ahead.failedAhead()).toBe(0);
  });

  it('a namenode stopped while creates are answered ahead: another client listing meanwhile sees every one', async () => {
    const other = ahead.cluster.client();
    await other.stat('/'); // its connection made
    await fsp.mkdir(ahead.a.p('stalled'));
    for (let i = 0; i < 5; i++) await (await fsp.open(ahead.a.p('stalled', `warm${i}`), 'wx')).close();
    const pid = ahead.cluster.namenodePid as number;
    const before = ahead.answeredAhead();
    const names = Array.from({ length: 30 }, (_, i) => `f${i}`);
    process.kill(pid, 'SIGSTOP');
    let listing: Promise<string[]> | undefined;
    try {
      // The listing first: the namenode reads the connection that got data first first (epoll),
      // so without the grant it would list before a's creates.
      listing = other.readdir('/stalled');
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve)); // written
      // Answered by the mount alone: the calls wait in the namenode's socket.
      for (const name of names) await (await fsp.open(ahead.a.p('stalled', name), 'wx')).close();
      // (The warm creates' log lines may still be counted after `before`.)
      await waitFor(() => ahead.answeredAhead() - before >= names.length, 10_000, 'every create answered ahead (debug log)');
      await waitFor(async () => (await clientSocketsWithInput(pid)) >= 2, 10_000, 'both requests in the namenode sockets');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // The listing runs after a's grant ended, so after every create a answered.
    expect((await (listing as Promise<string[]>)).filter((n) => n.startsWith('f')).length).toBe(names.length);
    expect(ahead.failedAhead()).toBe(0);
  });

  it('creates answered ahead while the namenode is SIGKILLed are all there after its restart', async () => {
    await fsp.mkdir(ahead.a.p('outage'));
    const names = Array.from({ length: 300 }, (_, i) => `f${i}`);
    const before = ahead.answeredAhead();
    // Empty files: a create closed unwritten needs no other call, so most are answered ahead.
    const creating = (async () => {
      for (const name of names) await (await fsp.open(ahead.a.p('outage', name), 'wx')).close();
    })();
    await waitFor(() => ahead.answeredAhead() - before >= 50, 20_000, 'creates answered ahead (debug log)');
    await ahead.cluster.killNamenode('SIGKILL');
    await ahead.cluster.startNamenode();
    await creating;
    const client = ahead.cluster.client();
    await waitFor(async () => (await client.readdir('/outage').catch(() => [])).length === names.length, 30_000, 'every create at the restarted namenode');
    expect((await fsp.readdir(ahead.b.p('outage'))).sort()).toEqual([...names].sort());
    expect(ahead.failedAhead()).toBe(0);
  });
});
