// `cairn cluster`: a local cluster for development and trying Cairn out: one namenode and N
// datanodes, each its own process, data under DIR, and with --mount DIR a `cairn mount` of it.
// Prints exactly one line on stdout, "namenode 127.0.0.1:P", once every datanode has registered
// (and the mount is up); stops them all on SIGINT/SIGTERM, the mount first so that it can commit
// open files while the servers still run. Children run in their own process groups, so that a
// terminal's Ctrl-C reaches only this process, which stops them in that order.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import fs from 'fs-extra';
import { extraNodeArgs, intOption, parse, serverEnv, stringOption } from '../../common/args.js';
import { generateSecret } from '../../common/auth.js';
import { CairnError } from '../../common/errors.js';
import { createLogger } from '../../common/log.js';
import { CairnClient } from '../sdk/client.js';
import { coreHint, isCrash, RestartPolicy } from './restarts.js';

export const clusterUsage =
  'cairn cluster --data DIR [--datanodes N] [--port P] [--chunk-size BYTES] [--heartbeat-ms MS] [--dead-after-ms MS] [--mount DIR]';

const cliPath = fileURLToPath(new URL('./main.js', import.meta.url));
const nodeArgs = extraNodeArgs();

export async function runCluster(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    data: { type: 'string' },
    datanodes: { type: 'string' },
    port: { type: 'string' },
    'chunk-size': { type: 'string' },
    'heartbeat-ms': { type: 'string' },
    'dead-after-ms': { type: 'string' },
    mount: { type: 'string' },
  });
  const log = createLogger('cluster');
  const dataDir = path.resolve(stringOption(values, 'data') ?? './data');
  const datanodes = intOption(values, 'datanodes', 3, 1, 64);
  const port = intOption(values, 'port', 9000, 0, 65535);
  await fs.ensureDir(dataDir);
  const secretFile = path.join(dataDir, 'secret');
  if (!(await fs.pathExists(secretFile))) await fs.writeFile(secretFile, generateSecret() + '\n', { mode: 0o600 });
  const secret = (await fs.readFile(secretFile, 'utf8')).trim();

  const children: ChildProcess[] = [];
  let mountChild: ChildProcess | undefined;
  let stopping = false;
  const stopAll = async (code: number): Promise<never> => {
    stopping = true;
    if (mountChild !== undefined) await stopChild(mountChild, 60_000);
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null ? once(child, 'exit') : undefined)));
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  process.on('SIGHUP', () => void stopAll(0)); // the terminal closed: the children are in other process groups

  const passThrough = (name: string, values: Record<string, unknown>, flag: string): string[] =>
    values[name] !== undefined ? [flag, String(values[name])] : [];

  /**
   * Starts a server, and once it has come up (printed a line matching `ready`), starts it again
   * each time it crashes (killed by a signal, or a non-zero exit), as systemd's
   * Restart=on-failure does, until it crashed too often (restarts.ts): a namenode killed with
   * SIGKILL comes back on its port and replays its journal, a datanode registers again, and the
   * mount, which waits out a namenode restart, keeps serving. A first start that fails is the
   * caller's to report (`ready` rejects).
   */
  const supervise = (
    what: Record<string, unknown>,
    start: () => ChildProcess,
    ready: RegExp,
    on: { exited: (code: number | null) => void; gaveUp: (code: number | null, signal: NodeJS.Signals | null) => void },
  ): Promise<string> => {
    const policy = new RestartPolicy();
    let everUp = false;
    const run = (): ChildProcess => {
      const child = start();
      child.on('exit', (code, signal) => {
        if (stopping || !everUp) return;
        if (!isCrash(code, signal)) return on.exited(code);
        const delayMs = policy.crashed(Date.now());
        if (delayMs === undefined) return on.gaveUp(code, signal);
        const hint = coreHint(signal, coreLimitZero());
        log.error({ ...what, code, signal, restartInMs: delayMs, ...(hint !== undefined && { hint }) }, 'crashed; starting it again');
        setTimeout(() => {
          if (stopping) return;
          void firstLine(run(), ready).then(
            () => log.warn(what, 'started again'),
            () => undefined, // it died first: its exit is handled above
          );
        }, delayMs).unref();
      });
      return child;
    };
    return firstLine(run(), ready).then((line) => {
      everUp = true;
      return line;
    });
  };

  let namenodePort = port;
  const address = await supervise(
    { server: 'namenode' },
    () =>
      spawnServer(children, [
        'namenode', '--data', path.join(dataDir, 'namenode'), '--port', String(namenodePort), '--secret-file', secretFile,
        ...passThrough('chunk-size', values, '--chunk-size'),
        ...passThrough('heartbeat-ms', values, '--heartbeat-ms'),
        ...passThrough('dead-after-ms', values, '--dead-after-ms'),
      ]),
    /^namenode (\S+)$/,
    {
      exited: (code) => {
        log.error({ code }, 'namenode exited; stopping the cluster');
        void stopAll(1);
      },
      gaveUp: (code, signal) => {
        log.error({ code, signal }, 'namenode crashed too often; stopping the cluster');
        void stopAll(1);
      },
    },
  );
  namenodePort = Number(address.split(':').pop()); // a restart takes the same port, where every client looks for it
  for (let i = 0; i < datanodes; i++) {
    void supervise(
      { server: 'datanode', datanode: i + 1 },
      () =>
        spawnServer(children, [
          'datanode', '--data', path.join(dataDir, `datanode-${i + 1}`), '--port', '0', '--namenode', address, '--secret-file', secretFile,
          ...passThrough('heartbeat-ms', values, '--heartbeat-ms'),
        ]),
      /^datanode /,
      {
        exited: (code) => log.warn({ datanode: i + 1, code }, 'datanode exited'),
        gaveUp: (code, signal) => log.error({ datanode: i + 1, code, signal }, 'datanode crashed too often; the cluster runs without it'),
      },
    ).catch(() => log.warn({ datanode: i + 1 }, 'datanode exited before it started'));
  }
  await waitForDatanodes(address, secret, datanodes);
  const mountDir = stringOption(values, 'mount');
  if (mountDir !== undefined) {
    const dir = path.resolve(mountDir);
    const mounted = supervise({ server: 'mount', dir }, () => (mountChild = spawnMount(dir, address, secretFile)), /^(mounted) /, {
      exited: (code) => log.warn({ code }, 'the mount exited; the cluster keeps running'),
      gaveUp: (code, signal) => log.error({ code, signal }, 'the mount crashed too often; the cluster runs without it'),
    });
    try {
      await mounted;
      process.stderr.write(
        `cairn: the cluster is mounted at ${dir}\n` +
          `cairn: stop with Ctrl-C (or kill ${process.pid}): unmounts, then stops the servers; \`cairn umount ${dir}\` unmounts only\n`,
      );
    } catch {
      log.error({ dir }, 'mounting the cluster failed (see above); it runs without a mount');
    }
  }
  process.stdout.write(`namenode ${address}\n`);
  await new Promise(() => undefined);
}

/** `cairn mount` of the cluster at `dir`, which prints `mounted DIR` once it serves. */
function spawnMount(dir: string, address: string, secretFile: string): ChildProcess {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch {
    // An existing directory may hold a dead mount (ENOTCONN), which `cairn mount` clears.
  }
  return spawn(process.execPath, [...nodeArgs, cliPath, 'mount', '--namenode', address, '--secret-file', secretFile, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function spawnServer(children: ChildProcess[], args: string[]): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, cliPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'], detached: true, env: serverEnv() });
  children.push(child);
  return child;
}

async function firstLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    const match = pattern.exec(line);
    if (match) return match[1] as string;
  }
  throw new CairnError('EIO', 'server exited before it started');
}

/** Whether this process (and so its children) may not write core dumps: `ulimit -c` is 0. */
function coreLimitZero(): boolean {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max core file size'));
    return line !== undefined && /^Max core file size\s+0\s/.test(line);
  } catch {
    return false;
  }
}

async function waitForDatanodes(address: string, secret: string, count: number): Promise<void> {
  const client = new CairnClient({ namenode: address, secret, uid: 0, gid: 0, deadlineMs: 5000 });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const report = await client.report().catch(() => undefined);
      if ((report?.datanodes.filter((dn) => dn.state === 'live').length ?? 0) >= count) return;
      if (Date.now() > deadline) throw new CairnError('ETIMEDOUT', `fewer than ${count} datanodes registered within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.close();
  }
}
