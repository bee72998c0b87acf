// A function that does its work on the first call only: the release of memory handed to several
// holders (read-slabs.ts, transfer-service.ts, transfer.ts's fan-out, the mount's request
// buffers) must count each holder once, however often it calls.

export function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

/**
 * `count` functions, each to be called once by one holder of some memory; `release` runs when
 * all have been. A holder calling twice counts once, so nothing is released early.
 */
export function holders(count: number, release: (() => void) | undefined): Array<() => void> {
  let left = count;
  return Array.from({ length: count }, () =>
    once(() => {
      if (--left === 0) release?.();
    }),
  );
}
