// Unlinks a mount answers before its namenode call (client/fuse/early-unlinks.ts), with real
// mount processes: another mount sees the names gone, a name made again right after is
// the new file, and a namenode SIGKILLed while the calls are on their way still removes every
// name the mount said was removed (the calls are sent again once it is back).

import fsp from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { aheadSetupOfFile } from '../helpers/ahead-setup.js';
import { waitFor } from '../helpers/mini-cluster.js';
import { codeOf, fuseUnavailable, Mount } from '../helpers/mount.js';

const skip = fuseUnavailable();
// `a`'s long name cache keeps the directory it fills known while the namenode is down.
/** Mounts `a` and `b` of one cluster; unlinks `a` answered ahead, and those whose call then failed, from its debug log. */
const ahead = aheadSetupOfFile('unlink answered ahead', 'answered ahead of its namenode call did not go through');

async function fill(dir: string, count: number): Promise<string[]> {
  await fsp.mkdir(ahead.a.p(dir));
  const names = Array.from({ length: count }, (_, i) => `f${i}`);
  for (const name of names) await fsp.writeFile(ahead.a.p(dir, name), name);
  return names;
}

describe.skipIf(skip !== undefined)('unlinks answered ahead of the namenode', () => {
  it('the other mount sees the names gone, and a name made again right after is the new file', async () => {
    const names = await fill('removed', 100);
    const before = ahead.answeredAhead();
    for (const name of names) await fsp.unlink(ahead.a.p('removed', name));
    await waitFor(() => ahead.answeredAhead() - before === names.length, 10_000, 'every unlink answered ahead (debug log)');
    // Each call was written to the namenode's connection before its answer; another mount's
    // listing reaches the namenode through another connection, so allow it a moment.
    await waitFor(async () => (await fsp.readdir(ahead.b.p('removed'))).length === 0, 5_000, 'the other mount to see the names gone');
    expect(await codeOf(fsp.stat(ahead.b.p('removed', 'f7')))).toBe('ENOENT');
    expect(await fsp.readdir(ahead.a.p('removed'))).toEqual([]);

    // Unlinked ahead, then made again with O_EXCL: the create must not overtake the unlink.
    await fsp.writeFile(ahead.a.p('removed', 'f0'), 'old');
    await fsp.unlink(ahead.a.p('removed', 'f0'));
    await fsp.writeFile(ahead.a.p('removed', 'f0'), 'new', { flag: 'wx' });
    expect(await fsp.readFile(ahead.b.p('removed', 'f0'), 'utf8')).toBe('new');
    // rmdir right after the last unlink: the directory is empty at the namenode by then.
    await fsp.unlink(ahead.a.p('removed', 'f0'));
    await fsp.rmdir(ahead.a.p('removed'));
    expect(await codeOf(ahead.cluster.client().lstat('/removed'))).toBe('ENOENT');
    expect(ahead.failedAhead()).toBe(0);
  });

  it('a name another mount replaced since is removed, as an unlink that waited would remove it', async () => {
    await fsp.mkdir(ahead.a.p('replaced'));
    await fsp.writeFile(ahead.a.p('replaced', 'f'), 'written on a');
    await fsp.writeFile(ahead.b.p('replaced', 'g'), 'written on b');
    await fsp.rename(ahead.b.p('replaced', 'g'), ahead.b.p('replaced', 'f')); // a still knows f as its own file
    const before = ahead.answeredAhead();
    await fsp.unlink(ahead.a.p('replaced', 'f'));
    await waitFor(() => ahead.answeredAhead() > before, 10_000, 'the unlink answered ahead (debug log)');
    const client = ahead.cluster.client();
    await waitFor(async () => (await codeOf(client.lstat('/replaced/f'))) === 'ENOENT', 10_000, "b's file under the name to be removed");
    expect(await fsp.readdir(ahead.a.p('replaced'))).toEqual([]);
    expect(ahead.failedAhead()).toBe(0);
  });

  it('a file open on the mount is not unlinked ahead: it stays readable through its descriptor', async () => {
    await fsp.mkdir(ahead.a.p('open'));
    await fsp.writeFile(ahead.a.p('open', 'held'), 'still readable');
    const handle = await fsp.open(ahead.a.p('open', 'held'), 'r');
    try {
      await fsp.unlink(ahead.a.p('open', 'held'));
      // Hidden under another name until the last close, as an unlink that waits does.
      expect((await fsp.readdir(ahead.b.p('open'))).filter((n) => n.startsWith('.cairn-hidden-'))).toHaveLength(1);
      expect(await codeOf(fsp.stat(ahead.b.p('open', 'held')))).toBe('ENOENT');
      expect((await handle.readFile()).toString()).toBe('still readable');
    } finally {
      await handle.close();
    }
  });

  it('unlinks answered while the namenode is SIGKILLed reach it once it is back', async () => {
    const names = await fill('outage', 40);
    const client = ahead.cluster.client();
    expect(await client.readdir('/outage')).toHaveLength(names.length);
    await ahead.cluster.killNamenode('SIGKILL');
    const before = ahead.answeredAhead();
    try {
      // Answered by the mount alone: the namenode is down.
      for (const name of names) await fsp.unlink(ahead.a.p('outage', name));
      await waitFor(() => ahead.answeredAhead() - before === names.length, 10_000, 'every unlink answered ahead (debug log)');
    } catch (err) {
      await ahead.cluster.startNamenode();
      throw err;
    }
    // A create of a removed name waits for the namenode, and behind the unlinks: sent first, it
    // would find the name still there (EEXIST), or be removed by the unlink sent after it.
    const created = fsp.writeFile(ahead.a.p('outage', 'f0'), 'made again', { flag: 'wx' });
    await ahead.cluster.startNamenode();
    await created;
    await waitFor(async () => (await client.readdir('/outage').catch(() => names)).length === 1, 30_000, 'the unlinks to reach the restarted namenode');
    expect(await fsp.readdir(ahead.b.p('outage'))).toEqual(['f0']);
    expect(await fsp.readFile(ahead.b.p('outage', 'f0'), 'utf8')).toBe('made again');
    expect(await fsp.readdir(ahead.a.p('outage'))).toEqual(['f0']);
    expect(ahead.failedAhead()).toBe(0);
  });

  it("unlinks answered while the namenode is down past the mount's timeout still reach it once it is back", async () => {
    const quick = await Mount.start(ahead.cluster, { timeoutMs: 3000, cacheMs: 10_000, logLevel: 'debug' });
    try {
      await fsp.mkdir(quick.p('gone-long'));
      const names = ['f0', 'f1', 'f2', 'f3', 'f4'];
      for (const name of names) await fsp.writeFile(quick.p('gone-long', name), name);
      expect((await fsp.readdir(quick.p('gone-long'))).sort()).toEqual(names); // the directory known whole here
      const answered = quick.counter((line) => line.includes('unlink answered ahead'));
      await ahead.cluster.killNamenode('SIGKILL');
      try {
        for (const name of names) await fsp.unlink(quick.p('gone-long', name));
        await waitFor(() => answered() === names.length, 10_000, 'every unlink answered ahead (debug log)');
        // A call through the mount fails at its timeout: the namenode has been gone longer than that.
        expect(await codeOf(fsp.statfs(quick.p()))).toBe('EIO');
      } finally {
        await ahead.cluster.startNamenode();
      }
      const client = ahead.cluster.client();
      await waitFor(async () => (await client.readdir('/gone-long').catch(() => names)).length === 0, 30_000, 'the unlinks to reach the restarted namenode');
      expect(quick.logs()).not.toContain('did not go through');
    } finally {
      await quick.stop();
    }
  });
});
