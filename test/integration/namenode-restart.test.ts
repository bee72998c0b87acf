// A namenode killed with SIGKILL and restarted has every acknowledged operation and nothing
// half-done: each operation is one atomic LevelDB batch, acknowledged only once it is in
// LevelDB's log (the page cache keeps it through a SIGKILL; an fsync puts it on disk).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiniCluster, waitFor } from '../helpers/mini-cluster.js';
import { pseudoRandomBytes, sha256 } from '../helpers/data.js';

let cluster: MiniCluster;

beforeAll(async () => {
  cluster = await MiniCluster.start({ datanodes: 3, chunkSizeBytes: 1024 * 1024 });
});
afterAll(async () => {
  await cluster?.stop();
});

describe('namenode SIGKILL and restart', () => {
  it('keeps every acknowledged mkdir, create, rename and completed write', async () => {
    const fs = cluster.client();
    const data = pseudoRandomBytes(3 * 1024 * 1024 + 99, 5);
    await fs.mkdir('/kept/deep/er', { recursive: true });
    await fs.writeFile('/kept/file', data);
    await fs.rename('/kept/file', '/kept/renamed');
    await fs.writeFile('/kept/empty', '');
    await fs.symlink('/kept/renamed', '/kept/link');
    await fs.chmod('/kept/empty', 0o600);

    await cluster.killNamenode('SIGKILL');
    await cluster.startNamenode();
    await cluster.waitForLiveDatanodes(3);

    const after = cluster.client();
    expect((await after.stat('/kept/deep/er')).isDirectory()).toBe(true);
    await expect(after.stat('/kept/file')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(sha256(await after.readFile('/kept/renamed'))).toBe(sha256(data));
    expect(sha256(await after.readFile('/kept/link'))).toBe(sha256(data));
    const empty = await after.stat('/kept/empty');
    expect(empty.size).toBe(0);
    expect(empty.mode & 0o7777).toBe(0o600);
    expect((await after.readdir('/kept')).sort()).toEqual(['deep', 'empty', 'link', 'renamed']);
  });

  it('loses no acknowledged operation when killed in the middle of a burst, and leaves nothing half-done', async () => {
    const fs = cluster.client({ deadlineMs: 3000 });
    await fs.mkdir('/burst');
    const acknowledged: string[] = [];
    let stop = false;
    const workers = [...Array(8).keys()].map(async (w) => {
      for (let i = 0; !stop; i++) {
        const name = `/burst/w${w}-${i}`;
        try {
          if (i % 2 === 0) await fs.mkdir(name);
          else await fs.writeFile(name, `content of ${name}`);
          acknowledged.push(name);
        } catch {
          return; // the namenode is gone
        }
      }
    });
    await waitFor(() => acknowledged.length >= 100, 30_000, '100 acknowledged operations');
    await cluster.killNamenode('SIGKILL');
    stop = true;
    await Promise.all(workers);

    await cluster.startNamenode();
    await cluster.waitForLiveDatanodes(3);
    const after = cluster.client();
    const listed = new Set(await after.readdir('/burst'));
    for (const name of acknowledged) expect(listed.has(name.slice('/burst/'.length))).toBe(true);
    // Every entry that survived is whole: a directory, or a file with exactly its content. A
    // writeFile that was never acknowledged may have got as far as creating the file (like
    // open(O_CREAT) before a crash on a local disk), but never leaves part of its bytes.
    const done = new Set(acknowledged);
    for (const entry of listed) {
      const path = `/burst/${entry}`;
      const stats = await after.stat(path);
      const i = Number(entry.split('-')[1]);
      if (i % 2 === 0) {
        expect(stats.isDirectory()).toBe(true);
        continue;
      }
      const content = await after.readFile(path, 'utf8');
      if (done.has(path)) expect(content).toBe(`content of ${path}`);
      else expect(['', `content of ${path}`]).toContain(content);
    }
  });

  it('a client keeps working across the restart without being recreated', async () => {
    const fs = cluster.client();
    await fs.writeFile('/before-restart', 'x');
    await cluster.killNamenode('SIGKILL');
    await cluster.startNamenode();
    await cluster.waitForLiveDatanodes(3);
    expect(await fs.readFile('/before-restart', 'utf8')).toBe('x');
    await fs.writeFile('/after-restart', 'y');
    expect(await fs.readFile('/after-restart', 'utf8')).toBe('y');
  });

  it('calls made while the namenode is down wait for its restart: a write and a stat succeed once it is back', async () => {
    const fs = cluster.client({ deadlineMs: 30_000 });
    await fs.writeFile('/before-outage', 'x'); // connected before the kill
    const data = pseudoRandomBytes(300_000, 9);
    await cluster.killNamenode('SIGKILL');
    // Started with the namenode gone (its restart takes far longer than a refused connect).
    const writing = fs.writeFile('/written-during-outage', data);
    const statting = fs.stat('/before-outage');
    await cluster.startNamenode();
    await writing;
    expect((await statting).size).toBe(1);
    expect(sha256(await fs.readFile('/written-during-outage'))).toBe(sha256(data));
  });

  it('a namenode that stays down: calls fail ECONNREFUSED after reconnectWaitMs, then at once until it answers again', async () => {
    const fs = cluster.client({ reconnectWaitMs: 1500 });
    await fs.writeFile('/stays-down', 'x');
    await cluster.killNamenode('SIGKILL');
    try {
      let started = Date.now();
      await expect(fs.stat('/stays-down')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400); // it waited for a restart
      started = Date.now();
      await expect(fs.readdir('/')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      expect(Date.now() - started).toBeLessThan(1000); // refused all along: no second wait
    } finally {
      await cluster.startNamenode();
    }
    await cluster.waitForLiveDatanodes(3);
    expect(await fs.readFile('/stays-down', 'utf8')).toBe('x');
  });
});
