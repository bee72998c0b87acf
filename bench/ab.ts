// Two builds (or one build under two environments) on the same workloads, taking turns, each run
// on a fresh local cluster with its own mount: what "kept only if the benchmark shows it helps"
// needs on this machine, where the same run swings by 20 % from one minute to the next and only a
// comparison of neighbours in time means anything (docs/PERFORMANCE.md).
//
//   node dist/bench/ab.js --base HEAD~1 sqlite tarx          # this checkout (B) against a commit (A)
//   node dist/bench/ab.js --env-a CAIRN_X=0 --env-b CAIRN_X=1 creates   # one build, two environments
//
// Workloads (peers.sh's, run the same way): `creates` (10,000 empty files in one directory, O_EXCL),
// `sqlite` (10,000 rows in one transaction, then SQL_TX one-row transactions: the timed part),
// `tarx` (tar x of /usr/include/node and /usr/include/linux); and `stamped` (2,000 files of 6,000
// bytes, each written, given its owner, mode and times through its descriptor, and closed: what
// tar x and cp -p do for every file); `attrs` (200 directories of 10 files of 2,000 bytes made
// first, not timed; then each file read and its times set to now, as git add freshens an object
// it finds stored, and each directory given its times, owner and mode after its files, as tar
// does on leaving it: closed files' attribute changes, docs/PERFORMANCE.md session 31); `ls` (NFILES_LS
// empty files, 10,000 by default, made first, not timed; then `ls -l` of the directory 5 times: its
// names, each one's attributes and security.selinux, docs/PERFORMANCE.md session 32). Per pair, side A runs first, then B;
// on each fresh cluster the workload runs `--runs` times (the first pays V8's compilation of code
// not yet optimized; see docs/PERFORMANCE.md, session 22), and every run is reported. The CPU of the
// cluster's processes during each timed run comes from /proc. Needs root (the mount), sqlite3 and tar.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTable, insertRows } from './sql.js';
import { median } from './stats.js';
import { buildBase, removeBase, run } from './worktree.js';

const workloads = ['creates', 'sqlite', 'tarx', 'stamped', 'attrs', 'ls'] as const;
type Workload = (typeof workloads)[number];

interface Side {
  name: string;
  /** The checkout whose dist/ runs. */
  dir: string;
  env: Record<string, string>;
}

interface Sample {
  side: string;
  workload: Workload;
  run: number;
  value: number;
  cpuS: Record<string, number>;
}

const units: Record<Workload, { unit: string; lowerIsBetter: boolean }> = {
  creates: { unit: 'creates/s', lowerIsBetter: false },
  sqlite: { unit: 'tx/s', lowerIsBetter: false },
  tarx: { unit: 's', lowerIsBetter: true },
  stamped: { unit: 'files/s', lowerIsBetter: false },
  attrs: { unit: 'files/s', lowerIsBetter: false },
  ls: { unit: 'entries/s', lowerIsBetter: false },
};

const here = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: node dist/bench/ab.js [--base REV | --a DIR] [--env-a K=V,...] [--env-b K=V,...] [--pairs N] [--runs N] WORKLOAD...\n`);
  process.exit(2);
}

function envOf(spec: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of (spec ?? '').split(',').filter((p) => p !== '')) {
    const at = pair.indexOf('=');
    if (at <= 0) usage(`not K=V: ${pair}`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

/** A fresh cluster of `side`'s build, mounted; stopped (and unmounted) by the returned function. */
async function startCluster(side: Side, work: string): Promise<{ mnt: string; pids: () => Map<number, string>; stop: () => Promise<void> }> {
  const data = path.join(work, 'data');
  const mnt = path.join(work, 'mnt');
  spawnSync('fusermount', ['-uz', mnt], { stdio: 'ignore' });
  await fsp.rm(data, { recursive: true, force: true });
  await fsp.mkdir(mnt, { recursive: true });
  const child: ChildProcess = spawn(process.execPath, [path.join(side.dir, 'dist/client/cli/main.js'), 'cluster', '--data', data, '--mount', mnt, '--port', '0'], {
    env: { ...process.env, ...side.env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const pid = child.pid as number;
  // The servers run in their own process groups (cluster.ts): killing the launcher alone would leave them.
  const children = (): number[] => {
    try {
      return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((p) => p !== '').map(Number);
    } catch {
      return [];
    }
  };
  const killAll = (): void => {
    for (const c of children()) process.kill(c, 'SIGKILL');
    child.kill('SIGKILL');
  };
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const ready = new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => line.startsWith('namenode ') && resolve());
    child.once('exit', (code) => reject(new Error(`the cluster exited (${code}) before it was up`)));
  });
  const deadline = setTimeout(killAll, 60_000);
  await ready.finally(() => clearTimeout(deadline));
  return {
    mnt,
    pids: () => {
      const roles = new Map<number, string>();
      for (const c of children()) {
        const argv = fs.readFileSync(`/proc/${c}/cmdline`, 'utf8').split('\0');
        const role = argv.find((a) => a === 'namenode' || a === 'datanode' || a === 'mount');
        if (role !== undefined) roles.set(c, role);
      }
      return roles;
    },
    stop: async () => {
      child.kill('SIGINT');
      const timer = setTimeout(killAll, 60_000);
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
      clearTimeout(timer);
      spawnSync('fusermount', ['-uz', mnt], { stdio: 'ignore' });
    },
  };
}

/** CPU seconds (user + system) used so far by each process, summed per role. */
function cpuByRole(pids: Map<number, string>): Record<string, number> {
  const ticks = 100; // USER_HZ on Linux
  const out: Record<string, number> = {};
  for (const [pid, role] of pids) {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      const key = role === 'datanode' ? 'datanodes' : role;
      out[key] = (out[key] ?? 0) + (Number(fields[11]) + Number(fields[12])) / ticks;
    } catch {
      // gone: its share is missing from this sample
    }
  }
  return out;
}

async function dataset(work: string): Promise<string> {
  const tarball = path.join(work, 'dataset.tar');
  if (!fs.existsSync(tarball)) {
    const parts = ['include/node', 'include/linux'].filter((p) => fs.existsSync(path.join('/usr', p)));
    run('tar', ['-C', '/usr', '-cf', tarball, ...(parts.length > 0 ? parts : ['include'])]);
  }
  return tarball;
}

/** One run of `workload` under `root` (a directory on the mount): its figure. */
async function runWorkload(workload: Workload, root: string, work: string, runIndex: number): Promise<number> {
  const dir = path.join(root, `${workload}-${runIndex}`);
  await fsp.mkdir(dir);
  const start = process.hrtime.bigint();
  const elapsedS = (): number => Number(process.hrtime.bigint() - start) / 1e9;
  switch (workload) {
    case 'creates': {
      const count = Number(process.env.NFILES ?? 10_000);
      // The mount is another process: synchronous calls into it cannot deadlock this one.
      for (let i = 0; i < count; i++) fs.closeSync(fs.openSync(path.join(dir, `f${String(i).padStart(6, '0')}`), fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o644));
      return count / elapsedS();
    }
    case 'sqlite': {
      const db = path.join(dir, 'bench.db');
      const bulk = Number(process.env.SQL_BULK ?? 10_000);
      const tx = Number(process.env.SQL_TX ?? 300);
      run('sqlite3', [db], { input: [createTable, 'BEGIN;', insertRows(1, bulk), 'COMMIT;'].join('\n') });
      const script = insertRows(bulk + 1, tx);
      const t0 = process.hrtime.bigint();
      run('sqlite3', [db], { input: script });
      return tx / (Number(process.hrtime.bigint() - t0) / 1e9);
    }
    case 'tarx':
      run('tar', ['-C', dir, '-xf', await dataset(work)]);
      return elapsedS();
    case 'stamped': {
      const count = Number(process.env.NFILES_STAMPED ?? 2_000);
      const data = Buffer.alloc(6000, 7);
      for (let i = 0; i < count; i++) {
        const fd = fs.openSync(path.join(dir, `f${i}`), fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600);
        fs.writeSync(fd, data);
        fs.fchownSync(fd, 0, 0);
        fs.fchmodSync(fd, 0o644);
        fs.futimesSync(fd, 1_000_000, 1_000_000);
        fs.closeSync(fd);
      }
      return count / elapsedS();
    }
    case 'attrs': {
      const dirs = Array.from({ length: 200 }, (_, d) => path.join(dir, `d${d}`));
      const names = Array.from({ length: 10 }, (_, f) => `f${f}`);
      const data = Buffer.alloc(2000, 7);
      for (const d of dirs) {
        fs.mkdirSync(d);
        for (const name of names) fs.writeFileSync(path.join(d, name), data);
      }
      const t0 = process.hrtime.bigint();
      for (const d of dirs) {
        for (const name of names) {
          const file = path.join(d, name);
          fs.readFileSync(file);
          fs.utimesSync(file, Date.now() / 1000, Date.now() / 1000);
        }
        fs.utimesSync(d, 1_000_000, 1_000_000);
        fs.chownSync(d, 0, 0);
        fs.chmodSync(d, 0o755);
      }
      return (dirs.length * names.length) / (Number(process.hrtime.bigint() - t0) / 1e9);
    }
    case 'ls': {
      const count = Number(process.env.NFILES_LS ?? 10_000);
      for (let i = 0; i < count; i++) fs.closeSync(fs.openSync(path.join(dir, `f${i}`), fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o644));
      const listings = 5;
      const t0 = process.hrtime.bigint();
      for (let round = 0; round < listings; round++) run('ls', ['-l', dir]);
      return (listings * count) / (Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
}

function report(samples: Sample[], sides: Side[], runs: number): void {
  const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(2));
  for (const workload of workloads) {
    const { unit, lowerIsBetter } = units[workload];
    for (let r = 0; r < runs; r++) {
      const of = (side: Side): Sample[] => samples.filter((s) => s.workload === workload && s.run === r && s.side === side.name);
      const [a, b] = sides.map(of) as [Sample[], Sample[]];
      if (a.length === 0) continue;
      const better = (x: number, y: number): boolean => (lowerIsBetter ? y < x : y > x);
      const wins = a.filter((s, i) => b[i] !== undefined && better(s.value, (b[i] as Sample).value)).length;
      const line = (side: Side, list: Sample[]): string => {
        const cpu = Object.keys(list[0]?.cpuS ?? {}).sort().map((role) => `${role} ${median(list.map((s) => s.cpuS[role] ?? 0)).toFixed(2)}`);
        return `  ${side.name.padEnd(24)} median ${fmt(median(list.map((s) => s.value)))} ${unit}  [${list.map((s) => fmt(s.value)).join(', ')}]  CPU s (median): ${cpu.join(', ')}`;
      };
      process.stdout.write(`${workload}, run ${r + 1} on each cluster:\n${line(sides[0] as Side, a)}\n${line(sides[1] as Side, b)}\n  B better in ${wins} of ${Math.min(a.length, b.length)} pairs\n`);
    }
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      base: { type: 'string' },
      a: { type: 'string' },
      'env-a': { type: 'string' },
      'env-b': { type: 'string' },
      pairs: { type: 'string', default: '4' },
      runs: { type: 'string', default: '2' },
      work: { type: 'string', default: path.join(os.tmpdir(), 'cairn-ab') },
    },
  });
  const chosen = positionals.filter((p): p is Workload => (workloads as readonly string[]).includes(p));
  if (chosen.length === 0 || chosen.length !== positionals.length) usage(`workloads: ${workloads.join(', ')}`);
  const pairs = Number(values.pairs);
  const runs = Number(values.runs);
  if (!(pairs >= 1 && runs >= 1)) usage('--pairs and --runs are counts');
  if (values.base !== undefined && values.a !== undefined) usage('--base or --a, not both');
  const work = path.resolve(values.work as string);
  await fsp.mkdir(work, { recursive: true });
  const aDir = values.base !== undefined ? buildBase(values.base, work, here) : path.resolve(values.a ?? here);
  const sides: Side[] = [
    { name: `A ${values.base ?? path.basename(aDir)}${values['env-a'] !== undefined ? ` ${values['env-a']}` : ''}`, dir: aDir, env: envOf(values['env-a']) },
    { name: `B ${path.basename(here)}${values['env-b'] !== undefined ? ` ${values['env-b']}` : ''}`, dir: here, env: envOf(values['env-b']) },
  ];
  const samples: Sample[] = [];
  // Ctrl-C: the cluster running now is stopped and unmounted, and the worktree removed, before exiting.
  let stopping: (() => Promise<void>) | undefined;
  const interrupted = (): void => {
    void (stopping?.() ?? Promise.resolve()).finally(() => {
      if (values.base !== undefined) removeBase(aDir, here);
      process.exit(130);
    });
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    for (let pair = 0; pair < pairs; pair++) {
      for (const side of sides) {
        const cluster = await startCluster(side, work);
        stopping = cluster.stop;
        try {
          const root = path.join(cluster.mnt, 'ab');
          await fsp.mkdir(root);
          for (const workload of chosen) {
            for (let r = 0; r < runs; r++) {
              const before = cpuByRole(cluster.pids());
              const value = await runWorkload(workload, root, work, r);
              const after = cpuByRole(cluster.pids());
              const cpuS = Object.fromEntries(Object.keys(after).map((role) => [role, (after[role] ?? 0) - (before[role] ?? 0)]));
              samples.push({ side: side.name, workload, run: r, value, cpuS });
              process.stderr.write(`pair ${pair + 1}, ${side.name}: ${workload} run ${r + 1}: ${value.toFixed(2)} ${units[workload].unit}\n`);
            }
          }
        } finally {
          stopping = undefined;
          await cluster.stop();
        }
      }
    }
  } finally {
    if (values.base !== undefined) removeBase(aDir, here);
  }
  report(samples, sides, runs);
}

await main();
