// /dev/fuse: mounting, reading requests, writing replies, unmounting. The I/O shell around the
// pure protocol (protocol.ts) and file system (cairn-fs.ts).
//
// Mounting opens /dev/fuse and has mount(8) pass that descriptor to the kernel (`-o fd=3`), as
// libfuse's fuse_mount does for root; so the mount needs root (CAP_SYS_ADMIN). A mount left
// behind by a killed server (ENOTCONN) is lazily unmounted before mounting again.
//
// Reading requests: by default the main thread reads them itself, woken by epoll as for a
// socket (libuv's pipe handle over the descriptor, read into one kept buffer). What needs no
// asynchronous work (fast-path.ts: a READ of an offered local replica, a LOOKUP from a page of a
// listing, ...) is answered at once; everything else goes to the file system, which answers it
// later with write(2) (a reply never blocks). Each request thus costs two wake-ups (the main
// thread's, then the caller's). With `readers` > 0, or where Node lacks the pipe binding, reader
// threads (reader-worker.ts) block in read(2) instead and post what they cannot answer to the
// main thread: a third wake-up per request, which measured 1.6x the time of a small-file create
// and tar x on this 2-core machine (docs/PERFORMANCE.md, session 7).
//
// Stopping: a lazy unmount ends the session once no process uses the file system any more.
// While one still holds a file open, the session stays up (and reader threads stay blocked in
// read(2), which would keep the process from exiting); so the connection is then aborted through
// fusectl (/sys/fs/fuse/connections/N/abort), which fails what is left with ENOTCONN.

import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Socket } from 'node:net';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { CairnError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { once } from '../../common/once.js';
import type { LookedUp, ReaderMessage } from './fast-lookups.js';
import { FastPath, copyBytesMax, readBufferBytes, servedIndex } from './fast-path.js';
import { encodeReply, opNames, outHeaderBytes, parseRequest, writeOutHeader, type FuseRequest } from './protocol.js';

export interface MountOptions {
  mountpoint: string;
  /** Let users other than the one who mounted (root) use the mount. */
  allowOther: boolean;
  /** Shown as the source in `mount` and `df`. */
  fsName: string;
  /** Largest write the kernel may send in one request. */
  maxWriteBytes: number;
  /** Reader threads; 0: the main thread reads the device itself (the default, see above). */
  readers: number;
  /** How long lookups may be answered from a page of a listing (the names' cache time). */
  namesTtlMs: number;
  /** Told of each lookup answered on the fast path, before any request that follows it is handled. */
  onLooked?: (looked: LookedUp) => void;
  /** Told when the reads of a file handle served on the main thread's fast path move into another chunk. */
  onChunkReached?: (fh: number, index: number) => void;
  log: Logger;
}

const readerUrl = new URL('./reader-worker.js', import.meta.url);
/** fuse_notify_code FUSE_NOTIFY_INVAL_INODE (sent in the error field of a reply with unique 0). */
const notifyInvalInode = 2;

export class FuseDevice {
  private readonly workers: Worker[] = [];
  /** Where each reader thread tells of the lookups it answered (fast-lookups.ts). */
  private readonly lookedPorts: MessagePort[] = [];
  /** Requests answered on the fast path, by kind (fast-path.ts servedIndex); reader threads add to them too. */
  private readonly served = new Int32Array(new SharedArrayBuffer(16));
  /** The main thread's own reading of the device (readers 0), and what it answers at once. */
  private socket: Socket | undefined;
  private fast: FastPath | undefined;
  private ended = false;
  private endResolve: (reason: string) => void = () => undefined;
  /** Resolves with the reason when the kernel ends the session (unmounted) or the device fails. */
  readonly done: Promise<string>;

  /** The kernel's connection number (its directory under /sys/fs/fuse/connections). */
  private connection: string | undefined;

  private constructor(
    private readonly fd: number,
    readonly mountpoint: string,
    private readonly log: Logger,
  ) {
    this.done = new Promise((resolve) => (this.endResolve = resolve));
  }

  /** Mounts `mountpoint` and starts reading requests into `onRequest`. */
  static async mount(opts: MountOptions, onRequest: (req: FuseRequest) => void): Promise<FuseDevice> {
    const mountpoint = path.resolve(opts.mountpoint);
    await clearStaleMount(mountpoint, opts.log);
    const st = await stat(mountpoint).catch((err: NodeJS.ErrnoException) => {
      throw new CairnError(err.code === 'ENOENT' ? 'ENOENT' : 'EIO', `mount point: ${err.message}`, { path: mountpoint });
    });
    if (!st.isDirectory()) throw new CairnError('ENOTDIR', 'the mount point must be a directory', { path: mountpoint });
    let fd: number;
    try {
      fd = openSync('/dev/fuse', 'r+');
    } catch (err) {
      throw new CairnError('EACCES', `cannot open /dev/fuse: ${(err as Error).message} (is the fuse module loaded, and is this root?)`);
    }
    const device = new FuseDevice(fd, mountpoint, opts.log);
    try {
      const options = [
        'fd=3',
        'rootmode=40000',
        `user_id=${process.getuid?.() ?? 0}`,
        `group_id=${process.getgid?.() ?? 0}`,
        // With --allow-other, the kernel checks permissions against the caller's credentials and
        // the attributes we report, and the namenode checks them again for the caller's uid/gid.
        // Without it, fuse lets in only processes whose uids are the mount's owner's; when that
        // is root, the kernel's check passes anyway, yet it would still ask for a directory's
        // attributes before each path walk through it after every create or unlink in it (a
        // GETATTR round trip per file created or removed). So a root mount without
        // --allow-other leaves it out: the namenode still checks each call, and ACCESS is
        // answered from the attributes (ops-names.ts access).
        ...(opts.allowOther || process.getuid?.() !== 0 ? ['default_permissions'] : []),
        `max_read=${opts.maxWriteBytes}`,
        ...(opts.allowOther ? ['allow_other'] : []),
      ];
      await run('mount', ['-i', '-t', 'fuse.cairn', '-o', options.join(','), opts.fsName, mountpoint], fd);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    device.connection = await connectionOf(mountpoint);
    let readers = opts.readers;
    if (readers === 0 && !device.startMainReader(opts, onRequest)) {
      opts.log.warn('this Node cannot watch /dev/fuse with epoll: reading it with 2 threads');
      readers = 2;
    }
    for (let i = 0; i < readers; i++) device.startReader(opts, onRequest);
    return device;
  }

  /** Sends a reply (errno 0 with an optional payload, or a positive errno). */
  reply(unique: bigint, errno: number, payload?: Buffer): void {
    this.write(encodeReply(unique, errno, payload));
  }

  /** Sends a reply whose buffer already holds the payload after a 16-byte header. */
  replyInPlace(unique: bigint, out: Buffer): void {
    writeOutHeader(out, unique, 0);
    this.write(out);
  }

  /** How many requests of each kind were answered on the fast path (for the log and tests). */
  get servedFast(): { reads: number; lookups: number; flushes: number; direct: number } {
    return {
      reads: Atomics.load(this.served, servedIndex.reads),
      lookups: Atomics.load(this.served, servedIndex.lookups),
      flushes: Atomics.load(this.served, servedIndex.flushes),
      direct: Atomics.load(this.served, servedIndex.direct),
    };
  }

  /** Tells the fast path what it may serve (fast-reads.ts, fast-lookups.ts), at once or through each reader thread. */
  toReaders(msg: ReaderMessage): void {
    this.fast?.apply(msg);
    for (const worker of this.workers) worker.postMessage(msg);
  }

  /**
   * FUSE_NOTIFY_INVAL_INODE for attributes only (offset -1): the kernel asks for them again at
   * their next use. Touches no page and takes no inode lock, so it is safe while a request on
   * the inode waits for its answer. Unknown to the kernel (ENOENT): nothing to forget.
   */
  forgetAttrs(ino: number): void {
    const out = Buffer.alloc(outHeaderBytes + 24);
    out.writeUInt32LE(out.length, 0);
    out.writeInt32LE(notifyInvalInode, 4);
    out.writeBigUInt64LE(BigInt(ino), outHeaderBytes);
    out.writeBigInt64LE(-1n, outHeaderBytes + 8);
    this.write(out);
  }

  /** Lazily unmounts; the session ends once the kernel lets go. */
  async unmount(): Promise<void> {
    await unmountLazy(this.mountpoint, this.log);
  }

  /**
   * Unmounts and waits for the session to end, aborting the connection if processes still hold
   * files open after `graceMs`. Resolves true once the readers are gone (the process may exit).
   */
  async shutdown(graceMs: number): Promise<boolean> {
    if (!this.ended) await this.unmount().catch((err: unknown) => this.log.warn({ err }, 'unmount failed'));
    if (await this.endsWithin(graceMs)) return true;
    this.log.warn({ connection: this.connection }, 'files still open on the mount: aborting the connection');
    await abortConnection(this.connection, this.log);
    return this.endsWithin(2000);
  }

  private async endsWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const ended = await Promise.race([this.done.then(() => true), timeout]);
    clearTimeout(timer);
    return ended;
  }

  /** Closes the device (after the session ended, or to abort it). */
  close(): void {
    this.finish('closed');
    for (const worker of this.workers) void worker.terminate();
    if (this.socket !== undefined) {
      this.socket.destroy(); // closes the descriptor
      return;
    }
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }

  private write(out: Buffer): void {
    // A destroyed socket closed the descriptor (its number may already name another file).
    if (this.ended || this.socket?.destroyed === true) return;
    try {
      writeSync(this.fd, out);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOENT: the request was interrupted or aborted meanwhile; the answer is not wanted.
      if (code === 'ENOENT') return;
      if (code === 'ENODEV' || code === 'EBADF') return this.finish(code);
      this.log.error({ err, opcode: out.readInt32LE(4) }, 'writing a FUSE reply failed');
    }
  }

  /**
   * Reads requests on the main thread, woken by epoll like a socket: no hop through a reader
   * thread. The descriptor becomes non-blocking (libuv's pipe handle over it), so it excludes
   * reader threads. A read error (ENODEV: unmounted; ECONNABORTED: aborted) ends the session.
   * False when this Node offers no pipe binding (the caller starts reader threads instead).
   */
  private startMainReader(opts: MountOptions, onRequest: (req: FuseRequest) => void): boolean {
    const handle = pipeOver(this.fd, opts.log);
    if (handle === undefined) return false;
    const fast = new FastPath(opts.namesTtlMs, this.served, (looked) => opts.onLooked?.(looked), true, opts.onChunkReached);
    this.fast = fast;
    const buffers = new RequestBuffers(readBufferBytes(opts.maxWriteBytes));
    let big = buffers.take();
    // Traced, what the fast path answers is logged as the file system's requests are (cairn-fs.ts).
    const trace = opts.log.isLevelEnabled('trace');
    const onRead = (n: number, buf: Buffer): void => {
      if (this.ended) return;
      const startMs = trace ? performance.now() : 0;
      if (fast.serve(this.fd, buf, n)) {
        if (trace) {
          const ms = Math.round((performance.now() - startMs) * 100) / 100;
          opts.log.trace({ op: opNames[buf.readUInt32LE(4)] ?? buf.readUInt32LE(4), node: Number(buf.readBigUInt64LE(16)), fast: true, ms }, 'fuse');
        }
        return;
      }
      let req: FuseRequest;
      try {
        if (n <= copyBytesMax) {
          const copy = Buffer.allocUnsafe(n);
          buf.copy(copy, 0, 0, n);
          req = parseRequest(copy);
        } else {
          req = parseRequest(buf.subarray(0, n));
          Object.assign(req, buffers.lend(big)); // the request keeps this one
          big = buffers.take();
        }
      } catch (e) {
        this.log.error({ err: e }, 'malformed FUSE request');
        return;
      }
      onRequest(req);
    };
    const socket = new Socket({ handle, readable: true, writable: false, onread: { buffer: () => big, callback: onRead } } as never);
    socket.on('error', (e: NodeJS.ErrnoException) => this.finish(e.code ?? String(e)));
    socket.on('close', () => this.finish('closed'));
    this.socket = socket;
    return true;
  }

  private startReader(opts: MountOptions, onRequest: (req: FuseRequest) => void): void {
    const bufferBytes = readBufferBytes(opts.maxWriteBytes);
    const looked = new MessageChannel();
    this.lookedPorts.push(looked.port1);
    // The readers keep the process alive while the file system is mounted.
    const worker = new Worker(readerUrl, {
      workerData: { fd: this.fd, bufferBytes, served: this.served, namesTtlMs: opts.namesTtlMs, looked: looked.port2 },
      transferList: [looked.port2],
    });
    worker.on('message', (msg: { request?: ArrayBuffer; bytes?: number; end?: string }) => {
      if (msg.end !== undefined) return this.finish(msg.end);
      if (msg.request === undefined || this.ended) return;
      // Lookups any reader thread answered come first: this request may name their nodes.
      if (opts.onLooked !== undefined) {
        for (const port of this.lookedPorts) {
          for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) opts.onLooked(m.message as LookedUp);
        }
      }
      let req: FuseRequest;
      try {
        req = parseRequest(Buffer.from(msg.request, 0, msg.bytes));
      } catch (err) {
        this.log.error({ err }, 'malformed FUSE request');
        return;
      }
      onRequest(req);
    });
    worker.on('error', (err) => {
      this.log.error({ err }, 'FUSE reader thread failed');
      this.finish('reader failed');
    });
    this.workers.push(worker);
  }

  private finish(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.endResolve(reason);
  }
}

/** libuv's pipe handle, as Node's internal binding offers it. */
interface PipeWrap {
  Pipe: new (type: number) => { open(fd: number): number };
  constants: { SOCKET: number };
}

/**
 * A libuv pipe handle over `fd`, which a net.Socket can read as it reads a socket: libuv's
 * uv_pipe_open takes any descriptor that epoll can watch, and /dev/fuse is one (the kernel's
 * fuse_dev_poll). `process.binding` is deprecated but present in Node 18-22; undefined where not.
 */
function pipeOver(fd: number, log: Logger): object | undefined {
  try {
    const { Pipe, constants } = (process as unknown as { binding(name: 'pipe_wrap'): PipeWrap }).binding('pipe_wrap');
    const handle = new Pipe(constants.SOCKET);
    const err = handle.open(fd);
    if (err === 0) return handle;
    log.debug({ err }, 'uv_pipe_open of /dev/fuse failed');
  } catch (err) {
    log.debug({ err }, 'no pipe binding');
  }
  return undefined;
}

/** `fusermount -uz`, or `umount -l` where fusermount is missing. */
export async function unmountLazy(mountpoint: string, log?: Logger): Promise<void> {
  try {
    await run('fusermount', ['-uz', mountpoint]);
  } catch (err) {
    log?.debug({ err }, 'fusermount -uz failed; trying umount -l');
    await run('umount', ['-l', mountpoint]);
  }
}

/** The connection number of the FUSE mount at `mountpoint`: the minor of its device (mountinfo field 3). */
async function connectionOf(mountpoint: string): Promise<string | undefined> {
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const line = info
    .split('\n')
    .filter((l) => unescapeMountPath(l.split(' ')[4] ?? '') === mountpoint)
    .pop();
  const [major, minor] = (line?.split(' ')[2] ?? '').split(':');
  return major === '0' && minor !== undefined ? minor : undefined;
}

/** Writes to fusectl's abort file, mounting fusectl first where the system has not. */
async function abortConnection(connection: string | undefined, log: Logger): Promise<void> {
  if (connection === undefined) return;
  const dir = '/sys/fs/fuse/connections';
  try {
    if (!(await isMounted(dir))) await run('mount', ['-t', 'fusectl', 'fusectl', dir]);
    await writeFile(path.join(dir, connection, 'abort'), '1');
  } catch (err) {
    log.warn({ err, connection }, 'aborting the FUSE connection failed');
  }
}

/** Whether `mountpoint` is a mount point now (from /proc/self/mountinfo). */
export async function isMounted(mountpoint: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const target = path.resolve(mountpoint);
  return info.split('\n').some((line) => unescapeMountPath(line.split(' ')[4] ?? '') === target);
}

function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * A FUSE mount whose server died answers ENOTCONN: it is unmounted. A live mount is left alone
 * (EBUSY). One that does not answer within 2 s is taken for a hung server and unmounted too.
 */
async function clearStaleMount(mountpoint: string, log: Logger): Promise<void> {
  if (!(await isMounted(mountpoint))) return;
  const probe = stat(mountpoint).then(
    () => 'alive' as const,
    (err: NodeJS.ErrnoException) => (err.code === 'ENOTCONN' || err.code === 'ECONNABORTED' ? ('stale' as const) : ('alive' as const)),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 2000)));
  const state = await Promise.race([probe, timeout]);
  clearTimeout(timer);
  if (state === 'alive') throw new CairnError('EBUSY', 'something is already mounted there (cairn umount it first)', { path: mountpoint });
  log.warn({ mountpoint, state }, 'clearing a stale mount left by a previous server');
  await unmountLazy(mountpoint, log);
}

/** Runs a command to completion; EIO with its stderr when it fails. `fd` becomes the child's fd 3. */
function run(command: string, args: string[], fd?: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'ignore', 'pipe'];
    if (fd !== undefined) stdio.push(fd);
    const child = spawn(command, args, { stdio });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (err) => reject(new CairnError('EIO', `${command}: ${err.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new CairnError('EIO', `${command} ${args.join(' ')} failed (${signal ?? code}): ${stderr.trim()}`));
    });
  });
}

/**
 * The buffers large requests (WRITEs) are read into. A WRITE's bytes are kept by the upload they
 * join until it commits, to be sent again if a datanode fails, so such a request takes the
 * buffer with it; a fresh one for every MiB written cost the mount's collector 0.67 s per GiB
 * (docs/PERFORMANCE.md, session 17). A lent buffer comes back once the request and every holder
 * it retained it for have released it, each once; one never released is left to the collector.
 */
export class RequestBuffers {
  private readonly free: Buffer[] = [];
  private lastTakeMs = 0;
  private trimTimer: NodeJS.Timeout | undefined;

  constructor(private readonly bytes: number) {}

  take(): Buffer {
    this.lastTakeMs = Date.now();
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.bytes);
  }

  /** Once no large request came for a while, the free buffers beyond a few go to the collector. */
  private trimWhenIdle(): void {
    if (this.trimTimer !== undefined) return;
    this.trimTimer = setTimeout(() => {
      this.trimTimer = undefined;
      if (Date.now() - this.lastTakeMs < requestBuffersIdleMs) return this.trimWhenIdle();
      this.free.length = Math.min(this.free.length, requestBuffersKeptIdle);
    }, requestBuffersIdleMs);
    this.trimTimer.unref();
  }

  /** Lends `buf` to a request: its retain (for holders it passes the bytes to) and its own release. */
  lend(buf: Buffer): { retain: () => () => void; release: () => void } {
    let holds = 1;
    const drop = (): void => {
      holds--;
      if (holds !== 0 || this.free.length >= requestBuffersKeptMax) return;
      this.free.push(buf);
      this.trimWhenIdle();
    };
    return {
      // Holders retain while the request is being handled, so holds is above zero then.
      retain: () => {
        if (holds <= 0) throw new Error('a request buffer retained after its release');
        holds++;
        return once(drop);
      },
      release: once(drop),
    };
  }
}

/**
 * Request buffers kept free for reuse, each as large as the largest write: in a bulk write, an
 * upload holds its chunk's writes (64 at 1 MiB) until it commits and then gives them all back,
 * so fewer than a chunk's worth would mostly be allocated afresh (16 measured 2.0 -> 1.6 s of
 * mount CPU per GiB, 80 measured 0.74-1.04 s). After `requestBuffersIdleMs` without a large
 * request, `requestBuffersKeptIdle` are kept.
 */
const requestBuffersKeptMax = 80;
const requestBuffersIdleMs = 2000;
const requestBuffersKeptIdle = 4;
