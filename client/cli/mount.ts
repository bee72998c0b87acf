// `cairn mount` serves a Cairn cluster as a local file system, in the foreground, until SIGINT or
// SIGTERM (then it commits open files and unmounts) or until someone unmounts it. `cairn umount`
// unmounts. Prints one line on stdout, "mounted DIR", once the mount is usable.

import path from 'node:path';
import { intOption, parse, stringOption, UsageError } from '../../common/args.js';
import { readSecret } from '../../common/auth.js';
import { CairnError } from '../../common/errors.js';
import { limits } from '../../common/limits.js';
import { createLogger } from '../../common/log.js';
import { validateHostPort } from '../../common/rpc.js';
import { CairnFs, type ReplySink } from '../fuse/cairn-fs.js';
import { FuseDevice, isMounted, unmountLazy } from '../fuse/device.js';
import { Identities } from '../fuse/identities.js';
import { collectWhenIdle } from '../../common/idle-gc.js';

export const mountUsage = [
  'cairn mount [--namenode HOST:PORT] MOUNTPOINT [--allow-other] [--secret-file FILE] [--timeout-ms MS] [--cache-ms MS] [--max-write BYTES] [--readers N] [--sync-unlinks] [--sync-creates] [--sync-closes]',
  'cairn umount MOUNTPOINT',
];

const maxWriteBytesDefault = 1024 * 1024;

export async function runMount(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {
    namenode: { type: 'string' },
    'secret-file': { type: 'string' },
    'allow-other': { type: 'boolean' },
    'timeout-ms': { type: 'string' },
    'cache-ms': { type: 'string' },
    'max-write': { type: 'string' },
    readers: { type: 'string' },
    'sync-unlinks': { type: 'boolean' },
    'sync-creates': { type: 'boolean' },
    'sync-closes': { type: 'boolean' },
  });
  if (positionals.length !== 1) throw new UsageError(`usage: ${mountUsage[0]}`);
  const mountpoint = path.resolve(positionals[0] as string);
  const namenode = validateHostPort(stringOption(values, 'namenode') ?? process.env.CAIRN_NAMENODE ?? '127.0.0.1:9000', 'namenode');
  const secret = await readSecret({ secretFile: stringOption(values, 'secret-file'), fallbackFile: path.resolve('data', 'secret') });
  if (secret === undefined) throw new UsageError('no cluster secret: use --secret-file FILE or CAIRN_SECRET (or run from the directory holding data/secret)');
  const timeoutMs = intOption(values, 'timeout-ms', limits.rpcDeadlineMsDefault, 100, 24 * 3600 * 1000);
  const cacheMs = intOption(values, 'cache-ms', 1000, 0, 3600 * 1000);
  const maxWriteBytes = intOption(values, 'max-write', maxWriteBytesDefault, 4096, maxWriteBytesDefault);
  const readers = intOption(values, 'readers', 0, 0, 16);
  const log = createLogger('mount');

  const identities = new Identities({ namenode, secret, deadlineMs: timeoutMs });
  // Fail now, not at the first ls, when the namenode or the secret is wrong.
  await identities.root.lstat('/').catch(async (err: unknown) => {
    await identities.close();
    throw err instanceof CairnError ? err.withPath(namenode, 'connect') : err;
  });

  // The file system answers through the device, which starts reading only once it is mounted.
  const session: { device?: FuseDevice } = {};
  const sink: ReplySink = {
    reply: (unique, errno, payload) => session.device?.reply(unique, errno, payload),
    replyInPlace: (unique, out) => session.device?.replyInPlace(unique, out),
    toReaders: (msg) => session.device?.toReaders(msg),
    forgetAttrs: (ino) => session.device?.forgetAttrs(ino),
  };
  // --sync-unlinks: every unlink waits for the namenode (client/fuse/early-unlinks.ts).
  const unlinksAhead = values['sync-unlinks'] !== true;
  // --sync-creates: every create waits for the namenode (client/fuse/early-creates.ts).
  const createsAhead = values['sync-creates'] !== true;
  // --sync-closes: every close waits for its commit's answer (client/fuse/early-closes.ts).
  const closesAhead = values['sync-closes'] !== true;
  const fs = new CairnFs({ identities, timeoutMs, cacheMs, maxWriteBytes, log, unlinksAhead, createsAhead, closesAhead }, sink);
  let handled = 0;
  const mounted = await FuseDevice.mount(
    {
      mountpoint,
      allowOther: values['allow-other'] === true,
      fsName: `cairn@${namenode}`,
      maxWriteBytes,
      readers,
      namesTtlMs: cacheMs,
      onLooked: (looked) => fs.lookedUp(looked),
      onChunkReached: (fh, index) => fs.files.chunkReached(fh, index),
      log,
    },
    (req) => {
      handled++;
      fs.handle(req);
    },
  );
  session.device = mounted;
  // Quiet: few requests on the main thread and few served by the fast path (a read served past
  // the page cache is counted in `reads` already, and again in `direct`).
  const fast = (): number => {
    const served = mounted.servedFast;
    return served.reads + served.lookups + served.flushes;
  };
  const idleGc = collectWhenIdle(() => handled + fast(), log);

  let stopping: Promise<boolean> | undefined;
  const stop = (why: string): Promise<boolean> =>
    (stopping ??= (async () => {
      log.info({ mountpoint, why, servedFast: mounted.servedFast }, 'unmounting');
      idleGc.stop();
      // Commit what open files hold, within the timeout, then let go of the mount.
      await Promise.race([fs.close().catch((err: unknown) => log.warn({ err }, 'committing open files failed')), sleep(timeoutMs)]);
      const ended = await mounted.shutdown(1000);
      await Promise.race([identities.close(), sleep(2000)]);
      return ended;
    })());
  const exitAfter = (why: string, code: number): void => {
    void stop(why).then((ended) => {
      // A reader thread still blocked in read(2) would keep process.exit from returning.
      if (!ended) process.kill(process.pid, 'SIGKILL');
      process.exit(code);
    });
  };
  process.on('SIGINT', () => exitAfter('SIGINT', 0));
  process.on('SIGTERM', () => exitAfter('SIGTERM', 0));
  void mounted.done.then((reason) => exitAfter(`session ended (${reason})`, reason === 'ENODEV' || reason === 'closed' ? 0 : 1));

  const initTimer = setTimeout(() => {
    log.error('the kernel did not start the FUSE session within 10 s');
    exitAfter('no INIT', 1);
  }, 10_000);
  await fs.ready;
  clearTimeout(initTimer);
  log.info({ mountpoint, namenode, timeoutMs, maxWriteBytes }, 'mounted');
  process.stdout.write(`mounted ${mountpoint}\n`);
}

export async function runUmount(argv: string[]): Promise<void> {
  const { positionals } = parse(argv, {});
  if (positionals.length !== 1) throw new UsageError(`usage: ${mountUsage[1]}`);
  const mountpoint = path.resolve(positionals[0] as string);
  if (!(await isMounted(mountpoint))) throw new CairnError('EINVAL', 'not mounted', { path: mountpoint });
  await unmountLazy(mountpoint);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
