// Self-healing with real processes and real SIGKILL: after any single datanode dies every chunk
// goes back to its factor on its own; excess and stale replicas are trimmed; corrupt replicas
// are replaced; a namenode restart waits in safe mode and orders no needless copies;
// decommissioning moves every replica off a node before it is stopped.

import { readFile, writeFile } from 'node:fs/promises';
import fse from 'fs-extra';
import { afterEach, describe, expect, it } from 'vitest';
import { MiniCluster, waitFor } from '../helpers/mini-cluster.js';
import { pseudoRandomBytes, sha256 } from '../helpers/data.js';
import { expectFilesIntact, expectReplication, waitHealthy, writeFiles } from './helpers.js';

const chunk = 256 * 1024;
const deadAfterMs = 2000;
/** The stated bound for healing in these tests: death detection plus time for the copies. */
const healBoundMs = deadAfterMs + 20_000;
let cluster: MiniCluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function start(datanodes: number, datanodeArgs: string[] = []): Promise<MiniCluster> {
  cluster = await MiniCluster.start({ datanodes, chunkSizeBytes: chunk, heartbeatMs: 200, deadAfterMs, datanodeArgs });
  return cluster;
}

async function busiestDatanode(c: MiniCluster): Promise<number> {
  const report = await c.client().report();
  const busiest = [...report.datanodes].sort((a, b) => b.chunks - a.chunks)[0];
  return c.indexOfDatanode(busiest?.id ?? '');
}

describe('re-replication after a datanode dies', () => {
  it(`re-replicates to 3 within deadAfterMs + 20 s after the busiest of 4 datanodes is SIGKILLed; a restarted node's excess and stale replicas are trimmed`, async () => {
    const c = await start(4);
    const fs = c.client();
    const files = await writeFiles(fs, '/heal', 50, chunk);
    const victim = await busiestDatanode(c);
    const victimId = c.datanodeIds.get(victim) as string;
    await c.killDatanode(victim, 'SIGKILL');

    await waitFor(async () => (await fs.report()).datanodes.find((d) => d.id === victimId)?.state === 'dead', deadAfterMs + 5000, 'victim reported dead');
    const healedInMs = await waitHealthy(fs, healBoundMs);
    await expectFilesIntact(fs, files);
    await expectReplication(fs, files, 3, [victimId]);
    expect(healedInMs).toBeLessThan(healBoundMs);

    // While it is down, overwrite part of a file: the victim keeps a stale version of that chunk.
    const staleLocations = await fs.getChunkLocations(files[0]?.path as string);
    const handle = await fs.open(files[0]?.path as string, 'r+');
    await handle.write(Buffer.from('rewritten'), 0, 9, 5);
    await handle.close();
    const patched = Buffer.from(await fs.readFile(files[0]?.path as string));
    files[0] = { ...(files[0] as (typeof files)[0]), sha: sha256(patched) };

    // Back it comes: every chunk it still holds is now one too many, or stale.
    await c.startDatanode(victim);
    await waitFor(async () => {
      const fsck = await fs.fsck('/');
      if (!fsck.healthy) return false;
      for (const file of files) for (const loc of await fs.getChunkLocations(file.path)) if (loc.datanodes.length !== 3) return false;
      return true;
    }, 30_000, 'exactly 3 replicas of every chunk after the node returned');
    const staleChunk = staleLocations[0];
    if (staleChunk?.datanodes.some((d) => d.id === victimId)) {
      await waitFor(async () => !(await fse.pathExists(c.replicaPath(victim, staleChunk.chunkId, staleChunk.gen))), 15_000, 'stale replica deleted on the returned node');
    }
    await expectFilesIntact(fs, files);
  });

  it('with 5 datanodes, two SIGKILLed datanodes that share replicas lose nothing and replication returns to 3', async () => {
    const c = await start(5);
    const fs = c.client();
    const files = await writeFiles(fs, '/pair', 30, chunk, 2);
    // The pair of datanodes that hold the most chunks together.
    const shared = new Map<string, number>();
    for (const file of files) {
      for (const loc of await fs.getChunkLocations(file.path)) {
        const ids = loc.datanodes.map((d) => d.id).sort();
        for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) {
          const key = `${ids[i]} ${ids[j]}`;
          shared.set(key, (shared.get(key) ?? 0) + 1);
        }
      }
    }
    const [pair] = [...shared.entries()].sort((a, b) => b[1] - a[1]);
    const [a, b] = (pair?.[0] ?? '').split(' ') as [string, string];
    expect(pair?.[1]).toBeGreaterThan(0);
    await Promise.all([c.killDatanode(c.indexOfDatanode(a)), c.killDatanode(c.indexOfDatanode(b))]);
    await expectFilesIntact(fs, files); // at once, from the one replica left where they shared
    await waitFor(async () => (await fs.report()).datanodes.filter((d) => d.state === 'dead').length === 2, deadAfterMs + 5000, 'both reported dead');
    await waitHealthy(fs, healBoundMs);
    await expectReplication(fs, files, 3, [a, b]);
    await expectFilesIntact(fs, files);
  });
});

describe('setrep', () => {
  it('lowering a factor trims replicas to exactly it, and raising it adds them back', async () => {
    const c = await start(4);
    const fs = c.client();
    const files = await writeFiles(fs, '/rep', 4, chunk, 7);
    const replicasOf = async (): Promise<number[]> =>
      (await Promise.all(files.map((f) => fs.getChunkLocations(f.path)))).flat().map((loc) => loc.datanodes.length);
    for (const file of files) await fs.setReplication(file.path, 1);
    await waitFor(async () => (await replicasOf()).every((n) => n === 1), 15_000, 'every chunk down to 1 replica');
    expect((await fs.fsck('/')).healthy).toBe(true);
    for (const file of files) await fs.setReplication(file.path, 4);
    await waitFor(async () => (await replicasOf()).every((n) => n === 4), 20_000, 'every chunk up to 4 replicas');
    expect((await fs.fsck('/')).healthy).toBe(true);
    await expectFilesIntact(fs, files);
  });
});

describe('pipeline recovery', () => {
  it('a datanode SIGKILLed in the middle of a large write does not fail it; the file ends byte-identical and fully replicated', async () => {
    const c = await start(4);
    const fs = c.client();
    const data = pseudoRandomBytes(40 * chunk + 1234, 99);
    const handle = await fs.open('/pipeline', 'w');
    const step = 64 * 1024;
    let killed: string | undefined;
    for (let at = 0; at < data.length; at += step) {
      await handle.write(data, at, Math.min(step, data.length - at), at);
      if (killed === undefined && at >= 10 * chunk) {
        // A node of the pipeline now carrying this file's chunks.
        const [first] = await fs.getChunkLocations('/pipeline');
        killed = first?.datanodes[0]?.id as string;
        await c.killDatanode(c.indexOfDatanode(killed), 'SIGKILL');
      }
    }
    await handle.close();
    expect(killed).toBeDefined();
    await waitFor(async () => (await fs.report()).datanodes.some((d) => d.state === 'dead'), deadAfterMs + 5000, 'killed node reported dead');
    expect(sha256(await fs.readFile('/pipeline'))).toBe(sha256(data));
    await waitHealthy(fs, healBoundMs);
    await expectReplication(fs, [{ path: '/pipeline', sha: '', size: data.length }], 3, [killed as string]);
    expect(sha256(await fs.readFile('/pipeline'))).toBe(sha256(data));
  });
});

describe('corruption', () => {
  it('flipped bytes in a replica are caught on read, correct data is returned, and the replica is replaced', async () => {
    const c = await start(4);
    const fs = c.client();
    const data = pseudoRandomBytes(3 * chunk, 5);
    await fs.writeFile('/flipped', data);
    const [loc] = await fs.getChunkLocations('/flipped');
    // Corrupt every replica but one, so that whichever the reader tries first, it may hit a bad one.
    const bad = (loc?.datanodes ?? []).slice(0, 2).map((d) => c.indexOfDatanode(d.id));
    for (const index of bad) {
      const file = c.replicaPath(index, loc?.chunkId as number, loc?.gen as number);
      const bytes = await readFile(file);
      bytes[100] = (bytes[100] as number) ^ 0xff;
      await writeFile(file, bytes);
    }
    // Readers pick replicas in random order: ten reads all but surely meet a corrupt one.
    for (let i = 0; i < 10; i++) expect(sha256(await fs.readFile('/flipped'))).toBe(sha256(data));
    await waitFor(async () => {
      const [now] = await fs.getChunkLocations('/flipped');
      const stillCorrupt = await Promise.all(bad.map(async (index) => {
        const file = c.replicaPath(index, loc?.chunkId as number, loc?.gen as number);
        return (await fse.pathExists(file)) && (await readFile(file))[100] !== data[100];
      }));
      return now?.datanodes.length === 3 && stillCorrupt.filter(Boolean).length < bad.length;
    }, 20_000, 'a corrupt replica found on read, deleted and replaced');
    expect(sha256(await fs.readFile('/flipped'))).toBe(sha256(data));
  });

  it('the scrubber finds corruption in a chunk that is never read, and it is replaced', async () => {
    const c = await start(4, ['--scrub-mib-per-s', '64', '--scrub-interval-ms', '300']);
    const fs = c.client();
    const data = pseudoRandomBytes(chunk, 6);
    await fs.writeFile('/unread', data);
    const [loc] = await fs.getChunkLocations('/unread');
    const victim = c.indexOfDatanode(loc?.datanodes[0]?.id as string);
    const file = c.replicaPath(victim, loc?.chunkId as number, loc?.gen as number);
    const bytes = await readFile(file);
    bytes[7] = (bytes[7] as number) ^ 0x01;
    await writeFile(file, bytes);
    await waitFor(async () => !(await fse.pathExists(file)), 15_000, 'the scrubber removed the corrupt replica');
    await waitFor(async () => (await fs.getChunkLocations('/unread'))[0]?.datanodes.length === 3 && (await fs.fsck('/')).healthy, 15_000, 'replaced');
    expect(sha256(await fs.readFile('/unread'))).toBe(sha256(data));
  });
});

describe('safe mode', () => {
  it('a namenode restarted under live datanodes is in safe mode, then healthy, and orders no copies', async () => {
    const c = await start(3);
    const fs = c.client();
    const files = await writeFiles(fs, '/safe', 10, chunk, 3);
    await c.killNamenode('SIGKILL');
    await c.startNamenode();
    const early = await fs.report();
    expect(early.safeMode).toBe(true);
    // Reads are answered in safe mode (as soon as the replicas are reported).
    await expectFilesIntact(fs, files.slice(0, 2));
    await waitFor(async () => !(await fs.report()).safeMode, 15_000, 'safe mode to end');
    await waitHealthy(fs, 10_000);
    // A few more heartbeats: still no copy ordered.
    const seen = (await fs.report()).replicationsScheduled;
    await waitFor(async () => (await fs.report()).datanodes.every((d) => d.lastHeartbeatMsAgo < 300), 5000, 'fresh heartbeats');
    expect(seen).toBe(0);
    expect((await fs.report()).replicationsScheduled).toBe(0);
    await fs.writeFile('/safe/after', 'writes work again');
    expect(await fs.readFile('/safe/after', 'utf8')).toBe('writes work again');
  });
});

describe('decommission', () => {
  it('moves every replica off a datanode, which then can be stopped without losing anything', async () => {
    const c = await start(4);
    const fs = c.client();
    const files = await writeFiles(fs, '/decom', 20, chunk, 4);
    const leaving = await busiestDatanode(c);
    const leavingId = c.datanodeIds.get(leaving) as string;
    await fs.decommission(leavingId);
    const states: string[] = [];
    await waitFor(async () => {
      const state = (await fs.report()).datanodes.find((d) => d.id === leavingId)?.state ?? '';
      if (states[states.length - 1] !== state) states.push(state);
      return state === 'decommissioned';
    }, 30_000, 'decommissioned');
    expect(states).toContain('decommissioned');
    // It still served reads meanwhile; now stop it.
    await c.killDatanode(leaving, 'SIGKILL');
    await expectFilesIntact(fs, files);
    expect((await fs.fsck('/')).healthy).toBe(true);
    await waitFor(async () => (await fs.report()).datanodes.find((d) => d.id === leavingId)?.state === 'dead', deadAfterMs + 5000, 'dead');
    expect((await fs.fsck('/')).healthy).toBe(true);
    await expectReplication(fs, files, 3, [leavingId]);
  });
});
