// SyncTracker (client/sdk/namenode-client.ts): when a client's namespace changes are known to be
// on the namenode's disk, so that sync() (a mount's FSYNCDIR) can answer without a call.

import { describe, expect, it } from 'vitest';
import { SyncTracker } from '../../client/sdk/namenode-client.js';

/** A call the test settles when it wants. */
function pending(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve = (): void => undefined;
  let reject = (_err: Error): void => undefined;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SyncTracker', () => {
  it('a synced call covers the changes settled before it was sent, not those settled after', async () => {
    const t = new SyncTracker();
    expect(t.synced).toBe(true);
    await t.track('Stat', {}, async () => undefined); // reads change nothing
    await t.track('Open', { write: false }, async () => undefined);
    expect(t.synced).toBe(true);
    await t.track('Mkdir', {}, async () => undefined);
    expect(t.synced).toBe(false);
    await t.track('CommitChunk', { sync: false }, async () => undefined);
    expect(t.synced).toBe(false);
    await t.track('CommitChunk', { sync: true }, async () => undefined);
    expect(t.synced).toBe(true);
    // A change still in flight when the sync is sent is not covered by it.
    const change = pending();
    const inFlight = t.track('Unlink', {}, () => change.promise);
    await t.track('Sync', {}, async () => undefined);
    expect(t.synced).toBe(true); // nothing settled is unsynced yet
    change.resolve();
    await inFlight;
    expect(t.synced).toBe(false);
    await t.track('Sync', {}, async () => undefined);
    expect(t.synced).toBe(true);
  });

  it('a failed change may have happened; a failed sync covers nothing', async () => {
    const t = new SyncTracker();
    await expect(t.track('Rename', {}, async () => Promise.reject(new Error('timed out')))).rejects.toThrow('timed out');
    expect(t.synced).toBe(false);
    await expect(t.track('Sync', {}, async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(t.synced).toBe(false);
    await t.track('Open', { write: true, create: true }, async () => undefined);
    await t.track('Sync', {}, async () => undefined);
    expect(t.synced).toBe(true);
  });
});
