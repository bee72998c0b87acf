// The namenode's metadata path of two builds, compared in one process: namespace creates by 32
// concurrent callers over LevelDB and the journal on disk, as the namenode runs them, without
// the RPC, the clients or any other process. Both builds are loaded side by side and take turns
// round by round, so that this machine's swings (20 % from one minute to the next) fall on both;
// what is compared is the CPU this process spends a create (its threads: LevelDB's included).
// Session 25 found a 3 % change here in 7 of 7 rounds, where whole-cluster A/B runs
// (bench/ab.ts) could not tell it from the noise.
//
//   node dist/bench/namespace-ab.js --base HEAD~1               # this checkout (B) against a commit (A)
//   node dist/bench/namespace-ab.js --a DIR --rounds 20 --files 8000   # against a built checkout
//
// Each round creates `--files` files (spread over 32 directories, one caller each) on each side;
// the first round of each side warms V8 up and is not counted in the medians.

import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './stats.js';
import { buildBase, removeBase } from './worktree.js';

const here = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const callers = 32;

interface Side {
  name: string;
  /** Creates `files` files (each name new); resolves once all are acknowledged. */
  create: (files: number, tag: string) => Promise<void>;
  close: () => Promise<void>;
}

/** A namespace of the build in `dir` (its dist/), on a fresh LevelDB and journal under `work`. */
async function openSide(name: string, dir: string, work: string): Promise<Side> {
  const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(path.join(dir, 'dist', file)).href)) as T;
  const { Level } = (await import('level')) as typeof import('level');
  const { LevelKv } = await load<typeof import('../namenode/store/kv.js')>('namenode/store/kv.js');
  const { Journal } = await load<typeof import('../namenode/store/journal.js')>('namenode/store/journal.js');
  const { Namespace } = await load<typeof import('../namenode/namespace/namespace.js')>('namenode/namespace/namespace.js');
  const { open } = await load<typeof import('../namenode/namespace/open.js')>('namenode/namespace/open.js');
  const { mkdir } = await load<typeof import('../namenode/namespace/mkdir.js')>('namenode/namespace/mkdir.js');
  const data = await fsp.mkdtemp(path.join(work, 'ns-'));
  const kv = await LevelKv.open(new Level<string, string>(path.join(data, 'meta'), { keyEncoding: 'utf8', valueEncoding: 'utf8' }));
  const journal = await Journal.open(data, kv, { discard: true });
  const ns = await Namespace.open(kv, { chunkSizeBytes: 64 * 1024 * 1024, defaultReplication: 3, nowMs: Date.now(), journal });
  const root = { uid: 0, gid: 0, groups: [], clientId: 'namespace-ab' };
  for (let c = 0; c < callers; c++) await ns.run(root, Date.now(), (ctx) => mkdir(ctx, `/c${c}`, 0o755, false));
  const flags = { write: true, create: true, exclusive: true, truncate: false, mode: 0o644, replication: 0, leaseAtFirstWrite: true };
  return {
    name,
    create: async (files, tag) => {
      const each = Math.ceil(files / callers);
      await Promise.all(
        Array.from({ length: callers }, async (_, c) => {
          for (let i = 0; i < each; i++) await ns.run(root, Date.now(), (ctx) => open(ctx, `/c${c}/${tag}-${i}`, flags, () => undefined));
        }),
      );
    },
    close: async () => {
      await ns.db.close();
      await fsp.rm(data, { recursive: true, force: true });
    },
  };
}

/** CPU microseconds this process spends a create, over one round of `files` creates. */
async function round(side: Side, files: number, tag: string): Promise<number> {
  const before = process.cpuUsage();
  await side.create(files, tag);
  // LevelDB's write behind (metadb.ts) finishes inside the measure.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / files;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      base: { type: 'string' },
      a: { type: 'string' },
      rounds: { type: 'string', default: '12' },
      files: { type: 'string', default: '8000' },
      work: { type: 'string', default: path.join(os.tmpdir(), 'cairn-namespace-ab') },
    },
  });
  const rounds = Number(values.rounds);
  const files = Number(values.files);
  if (!(rounds >= 2 && files >= callers)) throw new Error(`--rounds must be at least 2 and --files at least ${callers}`);
  if ((values.base === undefined) === (values.a === undefined)) throw new Error('usage: node dist/bench/namespace-ab.js (--base REV | --a DIR) [--rounds N] [--files N]');
  const work = path.resolve(values.work as string);
  await fsp.mkdir(work, { recursive: true });
  const aDir = values.base !== undefined ? buildBase(values.base, work, here) : path.resolve(values.a as string);
  try {
    const sides = [await openSide(`A ${values.base ?? path.basename(aDir)}`, aDir, work), await openSide(`B ${path.basename(here)}`, here, work)];
    const cpu: number[][] = [[], []];
    for (let r = 0; r < rounds; r++) {
      // Which side goes first alternates, so that neither always follows the other's garbage.
      for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) cpu[i]?.push(await round(sides[i] as Side, files, `r${r}`));
    }
    for (const side of sides) await side.close();
    const [a, b] = cpu as [number[], number[]];
    for (const [i, side] of sides.entries()) {
      const list = cpu[i] as number[];
      process.stdout.write(`${side.name.padEnd(24)} median ${median(list.slice(1)).toFixed(1)} us CPU a create  [${list.map((v) => v.toFixed(1)).join(', ')}]\n`);
    }
    const lower = b.slice(1).filter((v, r) => v < (a[r + 1] as number)).length;
    process.stdout.write(`B lower in ${lower} of ${rounds - 1} rounds (the first, V8's warm-up, not counted)\n`);
  } finally {
    if (values.base !== undefined) removeBase(aDir, here);
  }
}

await main();
