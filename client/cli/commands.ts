// The user commands of `cairn`: put, get, cat, ls, mkdir, rm, mv, stat, setrep, locations,
// fsck, report. Each prints its result on stdout; errors are one line on stderr (main.ts).

import { createReadStream, createWriteStream } from 'node:fs';
import { stat as localStat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { intOption, parse, stringOption, UsageError, type OptionSpec } from '../../common/args.js';
import { readSecret } from '../../common/auth.js';
import { normalizePath } from '../../common/paths.js';
import { validateHostPort } from '../../common/rpc.js';
import { CairnClient } from '../sdk/client.js';
import type { Stats } from '../sdk/stats.js';
import { formatBytes, progressMeter } from './progress.js';

const connectionOptions: OptionSpec = {
  namenode: { type: 'string' },
  'secret-file': { type: 'string' },
};

export const clientUsage = [
  'cairn put LOCAL REMOTE [--replication N]',
  'cairn get REMOTE LOCAL',
  'cairn cat REMOTE',
  'cairn ls [-l] [REMOTE]',
  'cairn mkdir [-p] REMOTE',
  'cairn rm [-r] [-f] REMOTE',
  'cairn mv SRC DST',
  'cairn stat REMOTE',
  'cairn setrep N REMOTE',
  'cairn locations REMOTE',
  'cairn fsck [REMOTE] [--json]',
  'cairn report [--json]',
  'cairn decommission DATANODE_ID',
  '  (client commands take --namenode HOST:PORT or CAIRN_NAMENODE, and --secret-file FILE or CAIRN_SECRET;',
  '   defaults: 127.0.0.1:9000 and ./data/secret)',
];

async function connect(values: Record<string, unknown>): Promise<CairnClient> {
  const namenode = validateHostPort(stringOption(values, 'namenode') ?? process.env.CAIRN_NAMENODE ?? '127.0.0.1:9000', 'namenode');
  const secret = await readSecret({ secretFile: stringOption(values, 'secret-file'), fallbackFile: path.resolve('data', 'secret') });
  if (secret === undefined) throw new UsageError('no cluster secret: use --secret-file FILE or CAIRN_SECRET (or run from the directory holding data/secret)');
  // A namenode restarting is waited for, but a person at a prompt hears of one that is not there
  // within seconds (the SDK's default waits 10 s).
  return new CairnClient({ namenode, secret, reconnectWaitMs: cliReconnectWaitMs });
}

/** How long a command waits for a namenode refusing connections (one restarts in ~1 s here). */
const cliReconnectWaitMs = 4000;

function positional(positionals: string[], count: number, usage: string): string[] {
  if (positionals.length !== count) throw new UsageError(`usage: ${usage}`);
  return positionals;
}

const remote = (p: string): string => normalizePath(p);

type Command = (argv: string[]) => Promise<void>;

async function withClient(argv: string[], extra: OptionSpec, fn: (client: CairnClient, values: Record<string, string | boolean | undefined>, positionals: string[]) => Promise<void>): Promise<void> {
  const { values, positionals } = parse(argv, { ...connectionOptions, ...extra });
  const client = await connect(values);
  try {
    await fn(client, values, positionals);
  } finally {
    await client.close();
  }
}

export const commands: Record<string, Command> = {
  put: (argv) =>
    withClient(argv, { replication: { type: 'string' } }, async (client, values, positionals) => {
      const [local, target] = positional(positionals, 2, 'cairn put LOCAL REMOTE [--replication N]') as [string, string];
      const size = (await localStat(local)).size;
      let dest = remote(target);
      if ((await client.stat(dest).catch(() => undefined))?.isDirectory()) dest = `${dest.replace(/\/$/, '')}/${path.basename(local)}`;
      const replication = intOption(values, 'replication', 0, 1, 32);
      await pipeline(
        createReadStream(local, { highWaterMark: 1024 * 1024 }),
        progressMeter(`put ${path.basename(local)}`, size),
        client.createWriteStream(dest, replication > 0 ? { replication } : {}),
      );
    }),
  get: (argv) =>
    withClient(argv, {}, async (client, _values, positionals) => {
      const [source, local] = positional(positionals, 2, 'cairn get REMOTE LOCAL') as [string, string];
      const stats = await client.stat(remote(source));
      await pipeline(client.createReadStream(remote(source)), progressMeter(`get ${path.basename(source)}`, stats.size), createWriteStream(local));
    }),
  cat: (argv) =>
    withClient(argv, {}, async (client, _values, positionals) => {
      for (const p of positionals) {
        const stream = client.createReadStream(remote(p));
        for await (const piece of stream) {
          if (!process.stdout.write(piece as Buffer)) await new Promise((resolve) => process.stdout.once('drain', resolve));
        }
      }
    }),
  ls: (argv) =>
    withClient(argv, { l: { type: 'boolean', short: 'l' } }, async (client, values, positionals) => {
      const target = remote(positionals[0] ?? '/');
      const stats = await client.lstat(target);
      const rows: Array<{ name: string; stats: Stats }> = stats.isDirectory()
        ? (await client.readdir(target, { withFileTypes: true })).map((d) => ({ name: d.name, stats: d.stats }))
        : [{ name: target, stats }];
      for (const row of rows) {
        if (values.l === true) {
          const link = row.stats.isSymbolicLink() ? ` -> ${await client.readlink(`${target.replace(/\/$/, '')}/${row.name}`)}` : '';
          process.stdout.write(`${modeString(row.stats)} ${row.stats.nlink} ${row.stats.uid} ${row.stats.gid} ${row.stats.size} ${row.stats.mtime.toISOString()} ${row.name}${link}\n`);
        } else {
          process.stdout.write(`${row.name}\n`);
        }
      }
    }),
  mkdir: (argv) =>
    withClient(argv, { p: { type: 'boolean', short: 'p' } }, async (client, values, positionals) => {
      if (positionals.length === 0) throw new UsageError('usage: cairn mkdir [-p] REMOTE...');
      for (const p of positionals) await client.mkdir(remote(p), { recursive: values.p === true });
    }),
  rm: (argv) =>
    withClient(argv, { r: { type: 'boolean', short: 'r' }, f: { type: 'boolean', short: 'f' } }, async (client, values, positionals) => {
      if (positionals.length === 0) throw new UsageError('usage: cairn rm [-r] [-f] REMOTE...');
      for (const p of positionals) await client.rm(remote(p), { recursive: values.r === true, force: values.f === true });
    }),
  mv: (argv) =>
    withClient(argv, {}, async (client, _values, positionals) => {
      const [src, dst] = positional(positionals, 2, 'cairn mv SRC DST') as [string, string];
      let target = remote(dst);
      if ((await client.stat(target).catch(() => undefined))?.isDirectory() && !(await client.lstat(remote(src))).isDirectory()) {
        target = `${target.replace(/\/$/, '')}/${path.posix.basename(remote(src))}`;
      }
      await client.rename(remote(src), target);
    }),
  stat: (argv) =>
    withClient(argv, { json: { type: 'boolean' } }, async (client, _values, positionals) => {
      const [p] = positional(positionals, 1, 'cairn stat REMOTE') as [string];
      const s = await client.lstat(remote(p));
      const kind = s.isDirectory() ? 'directory' : s.isSymbolicLink() ? 'symlink' : 'file';
      process.stdout.write(
        JSON.stringify({
          path: remote(p), type: kind, size: s.size, mode: (s.mode & 0o7777).toString(8), uid: s.uid, gid: s.gid, nlink: s.nlink,
          inode: s.ino, replication: s.replication, mtime: s.mtime.toISOString(), atime: s.atime.toISOString(), ctime: s.ctime.toISOString(),
        }) + '\n',
      );
    }),
  setrep: (argv) =>
    withClient(argv, {}, async (client, _values, positionals) => {
      const [n, p] = positional(positionals, 2, 'cairn setrep N REMOTE') as [string, string];
      const replication = intOption({ replication: n }, 'replication', 0, 1, 32);
      await client.setReplication(remote(p), replication);
    }),
  locations: (argv) =>
    withClient(argv, { json: { type: 'boolean' } }, async (client, values, positionals) => {
      const [p] = positional(positionals, 1, 'cairn locations REMOTE') as [string];
      const locations = await client.getChunkLocations(remote(p));
      if (values.json === true) {
        process.stdout.write(JSON.stringify(locations) + '\n');
        return;
      }
      for (const loc of locations) {
        process.stdout.write(`${loc.offsetBytes}+${loc.lengthBytes} chunk ${loc.chunkId} gen ${loc.gen}: ${loc.datanodes.map((d) => d.address).join(' ')}\n`);
      }
    }),
  fsck: (argv) =>
    withClient(argv, { json: { type: 'boolean' } }, async (client, values, positionals) => {
      const result = await client.fsck(remote(positionals[0] ?? '/'));
      if (values.json === true) {
        process.stdout.write(JSON.stringify(result) + '\n');
      } else {
        for (const line of result.problems) process.stdout.write(`${line}\n`);
        process.stdout.write(
          `files ${result.files}, directories ${result.directories}, chunks ${result.chunks}, ${formatBytes(result.bytes)}; ` +
            `under-replicated ${result.underReplicated}, missing ${result.missing}, corrupt ${result.corrupt}: ${result.healthy ? 'HEALTHY' : 'NOT HEALTHY'}\n`,
        );
      }
      if (!result.healthy) process.exitCode = 1;
    }),
  decommission: (argv) =>
    withClient(argv, {}, async (client, _values, positionals) => {
      const [id] = positional(positionals, 1, 'cairn decommission DATANODE_ID') as [string];
      await client.decommission(id);
      process.stdout.write(`decommissioning ${id}: cairn report shows when it is decommissioned\n`);
    }),
  report: (argv) =>
    withClient(argv, { json: { type: 'boolean' } }, async (client, values) => {
      const report = await client.report();
      const datanodes = report.datanodes.map((dn) => ({
        id: dn.id, address: dn.address, state: dn.state, capacityBytes: dn.capacityBytes, usedBytes: dn.usedBytes,
        availableBytes: dn.availableBytes, chunks: dn.chunks, lastHeartbeatMsAgo: dn.lastHeartbeatMsAgo,
      }));
      if (values.json === true) {
        process.stdout.write(
          JSON.stringify({
            clusterId: report.clusterId,
            safeMode: report.safeMode,
            chunks: report.chunksTotal,
            chunksReported: report.chunksReported,
            underReplicated: report.underReplicated,
            replicationsScheduled: report.replicationsScheduled,
            replicationsPending: report.replicationsPending,
            datanodes,
          }) + '\n',
        );
        return;
      }
      process.stdout.write(`cluster ${report.clusterId}${report.safeMode ? ' (safe mode)' : ''}, chunk size ${formatBytes(report.chunkSizeBytes)}\n`);
      process.stdout.write(`chunks ${report.chunksTotal}, under-replicated ${report.underReplicated}, copies in flight ${report.replicationsPending}\n`);
      for (const dn of datanodes) {
        process.stdout.write(`${dn.state.padEnd(15)} ${dn.address.padEnd(21)} ${dn.id} chunks ${dn.chunks} used ${formatBytes(dn.usedBytes)} of ${formatBytes(dn.capacityBytes)}\n`);
      }
    }),
};

function modeString(s: Stats): string {
  const type = s.isDirectory() ? 'd' : s.isSymbolicLink() ? 'l' : '-';
  const bits = 'rwxrwxrwx';
  let out = type;
  for (let i = 0; i < 9; i++) out += (s.mode & (1 << (8 - i))) !== 0 ? bits[i] : '-';
  return out;
}
