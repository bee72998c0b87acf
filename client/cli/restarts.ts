// When `cairn cluster` starts a crashed server again, as systemd's Restart=on-failure with
// StartLimitBurst does: a server that exits on its own with a signal or a non-zero code is
// started again after a short wait, doubling while it keeps crashing, until it has crashed
// `crashesMax` times within `windowMs`; then the supervisor gives up on it. Pure: time comes in.

export interface RestartPolicyOptions {
  crashesMax: number;
  windowMs: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

export const restartDefaults: RestartPolicyOptions = { crashesMax: 5, windowMs: 60_000, firstDelayMs: 500, maxDelayMs: 8_000 };

export class RestartPolicy {
  /** When each crash within the window happened. */
  private crashesMs: number[] = [];

  constructor(private readonly opts: RestartPolicyOptions = restartDefaults) {}

  /**
   * A crash at `nowMs`: how long to wait before starting the server again, or undefined to give
   * up (too many crashes within the window).
   */
  crashed(nowMs: number): number | undefined {
    this.crashesMs = this.crashesMs.filter((ms) => nowMs - ms < this.opts.windowMs);
    this.crashesMs.push(nowMs);
    if (this.crashesMs.length > this.opts.crashesMax) return undefined;
    return Math.min(this.opts.firstDelayMs * 2 ** (this.crashesMs.length - 1), this.opts.maxDelayMs);
  }
}

/** Whether an exit is a crash (restarted) rather than a server stopping as asked, or by itself on purpose. */
export const isCrash = (code: number | null, signal: NodeJS.Signals | null): boolean => signal !== null || (code !== null && code !== 0);

/** Signals of a fault in the process itself (a native crash), not of someone stopping it. */
const faultSignals: ReadonlySet<string> = new Set(['SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGABRT']);

/**
 * What to log beside a crash by a fault signal: where its core dump is, or how to get one next
 * time (none is written while the core size limit is 0, the default of most shells).
 */
export function coreHint(signal: NodeJS.Signals | null, coreLimitZero: boolean): string | undefined {
  if (signal === null || !faultSignals.has(signal)) return undefined;
  return coreLimitZero
    ? 'no core dump was kept: start the cluster under `ulimit -c unlimited` to keep one next time, and report it with the log'
    : 'a core dump may have been kept (see /proc/sys/kernel/core_pattern): report it with the log';
}
