// A function that does its work on the first call only: the release of memory handed to several
// holders (read-slabs.ts, transfer-service.ts, the mount's request buffers) must count each
// holder once, however often it calls.

export function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
