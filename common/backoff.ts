// Trying a call again after failures it may outgrow (a namenode restarting, a lease about to be
// given back), waiting longer each time, until a deadline.

import { CairnError, type ErrorCode } from './errors.js';

/**
 * Calls `call` until it succeeds, or fails with a code not in `codes`, or the next try would
 * begin after `deadline` (Date.now() ms); waits `firstDelayMs` before the second try, doubling
 * up to `maxDelayMs`. The last failure is thrown.
 */
export function retryWithBackoff<T>(
  call: () => Promise<T>,
  codes: readonly ErrorCode[],
  deadline: number,
  firstDelayMs: number,
  maxDelayMs: number,
): Promise<T> {
  return retryWhile(call, (err, delayMs) => err instanceof CairnError && codes.includes(err.code) && Date.now() + delayMs <= deadline, firstDelayMs, maxDelayMs);
}

/**
 * Calls `call` until it succeeds or `again(failure, delayMs)` says no, waiting `delayMs` before
 * each new try: `firstDelayMs`, doubling up to `maxDelayMs`. The last failure is thrown.
 */
export async function retryWhile<T>(call: () => Promise<T>, again: (err: unknown, delayMs: number) => boolean, firstDelayMs: number, maxDelayMs: number): Promise<T> {
  for (let delayMs = firstDelayMs; ; delayMs = Math.min(delayMs * 2, maxDelayMs)) {
    try {
      return await call();
    } catch (err) {
      if (!again(err, delayMs)) throw err;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/**
 * A server's refusals of connections, to wait out its restart without waiting out its death: a
 * caller may wait for it until `patienceMs` after the refusals began, so once it has refused for
 * that long, later callers fail at once until it answers again (each waiting its own time would
 * add up: a shell's `ls` over a mount of a stopped cluster). Refusals more than 2 s apart (longer
 * than any backoff between tries) are not one outage.
 */
export class Refusals {
  private sinceMs: number | undefined;
  private lastMs = 0;

  /** Notes a refusal now: how long its caller, whose own deadline is `deadline` (Date.now() ms), may still wait (0 or less: give up). */
  refused(patienceMs: number, deadline: number): number {
    const now = Date.now();
    if (this.sinceMs === undefined || now - this.lastMs > 2_000) this.sinceMs = now;
    this.lastMs = now;
    return Math.min(deadline, this.sinceMs + patienceMs) - now;
  }

  /** Whether the server has refused every connection for at least `ms`, up to now (a refusal in the last 2 s). */
  refusingFor(ms: number): boolean {
    const now = Date.now();
    return this.sinceMs !== undefined && now - this.lastMs <= 2_000 && now - this.sinceMs >= ms;
  }

  /** The server answered: the outage, if there was one, is over. */
  answered(): void {
    this.sinceMs = undefined;
  }
}
