// Trying a call again after failures it may outgrow (a namenode restarting, a lease about to be
// given back), waiting longer each time, until a deadline.

import { CairnError, type ErrorCode } from './errors.js';

/**
 * Calls `call` until it succeeds, or fails with a code not in `codes`, or the next try would
 * begin after `deadline` (Date.now() ms); waits `firstDelayMs` before the second try, doubling
 * up to `maxDelayMs`. The last failure is thrown.
 */
export async function retryWithBackoff<T>(
  call: () => Promise<T>,
  codes: readonly ErrorCode[],
  deadline: number,
  firstDelayMs: number,
  maxDelayMs: number,
): Promise<T> {
  for (let delayMs = firstDelayMs; ; delayMs = Math.min(delayMs * 2, maxDelayMs)) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof CairnError) || !codes.includes(err.code) || Date.now() + delayMs > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
