// Gives a burst's garbage back to the machine once a server goes quiet.
//
// V8 collects its old generation when allocation pushes it to, not when a process goes idle, so
// a burst of operations leaves its garbage in the heap until the next burst. After a million
// creates that was most of the namenode's resident memory: 123 bytes a file right after the
// burst and 15 s later, 40 after one full collection (docs/PERFORMANCE.md, session 14). Like the
// JVM's periodic collection for idle servers (G1PeriodicGCInterval), the namenode, the datanodes
// and the mount collect once when they have been quiet for a while and their heap grew well
// beyond what the last collection left. A collection takes tens of milliseconds on such a heap;
// it runs only when little work comes in, and a request that arrives meanwhile waits for it.

import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from './log.js';

export interface IdleGcOptions {
  /** Quiet: fewer operations than this over the last `quietMs`. */
  quietOpsMax: number;
  quietMs: number;
  /** Collect only when the heap's resident bytes grew this much since the last collection. */
  growthBytesMin: number;
}

export const idleGcDefaults: IdleGcOptions = {
  quietOpsMax: 50,
  quietMs: 5_000,
  growthBytesMin: 32 * 1024 * 1024,
};

/**
 * The defaults, with the growth that makes a quiet process collect from CAIRN_IDLE_GC_MIB when
 * set (an operator's knob, as the JVM's; 0 turns the collection off: undefined).
 */
export function idleGcFromEnv(env: NodeJS.ProcessEnv = process.env): IdleGcOptions | undefined {
  const raw = env.CAIRN_IDLE_GC_MIB;
  if (raw === undefined || raw === '') return idleGcDefaults;
  const mib = Number(raw);
  if (!Number.isFinite(mib) || mib < 0) return idleGcDefaults;
  return mib === 0 ? undefined : { ...idleGcDefaults, growthBytesMin: mib * 1024 * 1024 };
}

/** The decision, apart from the clock and the heap (unit-tested). */
export class IdleCollector {
  private windowStartMs: number;
  private windowStartCount: number;
  private baselineBytes: number;
  /** Collections made so far. */
  collections = 0;

  constructor(
    nowMs: number,
    ops: number,
    heapBytes: number,
    private readonly opts: IdleGcOptions = idleGcDefaults,
  ) {
    this.windowStartMs = nowMs;
    this.windowStartCount = ops;
    this.baselineBytes = heapBytes;
  }

  /**
   * Called periodically with the operations served so far and the heap's resident bytes: whether
   * to collect now. A busy window starts a new one; a quiet one that saw enough growth collects.
   * `working`: the process is still at work on its own (the namenode writing a backlog to
   * LevelDB after a burst), which is not quiet either.
   */
  due(nowMs: number, ops: number, heapBytes: number, working = false): boolean {
    if (working || ops - this.windowStartCount >= this.opts.quietOpsMax) {
      this.windowStartMs = nowMs;
      this.windowStartCount = ops;
      return false;
    }
    if (nowMs - this.windowStartMs < this.opts.quietMs) return false;
    // Quiet long enough: keep the window sliding, so a collection waits for the next quiet period.
    this.windowStartMs = nowMs;
    this.windowStartCount = ops;
    return heapBytes - this.baselineBytes >= this.opts.growthBytesMin;
  }

  /** What the heap held right after a collection: growth is counted from there. */
  collected(heapBytes: number): void {
    this.baselineBytes = heapBytes;
    this.collections++;
  }
}

let gcFunction: (() => void) | null | undefined;

/**
 * V8's full collection, when this Node lets a process ask for one (`--expose-gc` set at run
 * time: the function is taken from a fresh context, where the flag now puts it); undefined if not.
 */
export function fullCollection(): (() => void) | undefined {
  if (gcFunction === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as unknown;
      gcFunction = typeof gc === 'function' ? (gc as () => void) : null;
    } catch {
      gcFunction = null;
    }
  }
  return gcFunction ?? undefined;
}

/** The heap's resident bytes: what a collection can give back is part of them. */
export const heapBytes = (): number => getHeapStatistics().total_physical_size;

/**
 * Checks every second whether the process went quiet after a burst (`ops`: the operations it
 * served so far; `working`: busy on its own) and collects then; the timer does not keep the
 * process alive.
 */
export function collectWhenIdle(
  ops: () => number,
  log: Logger,
  opts: IdleGcOptions | undefined = idleGcFromEnv(),
  working: () => boolean = () => false,
): { stop: () => void } {
  if (opts === undefined) return { stop: () => undefined };
  const idle = new IdleCollector(Date.now(), ops(), heapBytes(), opts);
  const timer = setInterval(() => {
    if (!idle.due(Date.now(), ops(), heapBytes(), working())) return;
    const gc = fullCollection();
    if (gc === undefined) return;
    const before = heapBytes();
    const startMs = performance.now();
    gc();
    const after = heapBytes();
    idle.collected(after);
    const mib = (bytes: number): number => Math.round(bytes / 1024 / 1024);
    log.info({ heapMiB: mib(before), afterMiB: mib(after), ms: Math.round(performance.now() - startMs) }, 'quiet after a burst: heap garbage collected');
  }, 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
