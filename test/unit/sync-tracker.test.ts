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

  it('calls wait for the work run ahead of them; the calls of that work do not', async () => {
    const t = new SyncTracker();
    const unlinkReply = pending();
    const order: string[] = [];
    t.runAhead(async () => {
      await t.track('Unlink', { path: '/a', expectInode: 7 }, () => unlinkReply.promise, true);
      order.push('ahead settled');
    });
    expect(t.runningAhead).toBe(1);
    expect(t.synced).toBe(false); // an fsync of the directory must call, and so wait
    let sent = false;
    const later = t.track('Open', { write: true, create: true }, async () => {
      sent = true;
      order.push('open sent');
    });
    const plainUnlink = t.track('Unlink', { path: '/b', expectInode: 9 }, async () => void order.push('plain unlink sent'));
    // A second unlink answered ahead goes out at once, beside the first.
    let secondSent = false;
    t.runAhead(() => t.track('Unlink', { path: '/c', expectInode: 8 }, async () => void (secondSent = true), true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toBe(false);
    expect(secondSent).toBe(true);
    unlinkReply.resolve();
    await Promise.all([later, plainUnlink]);
    expect(order).toEqual(['ahead settled', 'open sent', 'plain unlink sent']);
    expect(t.runningAhead).toBe(0);
    await t.settledAhead();
  });

  it('a call waits only for the work run ahead before it began: later work never holds it back', async () => {
    const t = new SyncTracker();
    const first = pending();
    t.runAhead(() => first.promise);
    let sent = false;
    const call = t.track('Rename', {}, async () => void (sent = true));
    const endless = pending();
    t.runAhead(() => endless.promise); // an rm going on: begun after the call
    first.resolve();
    await call;
    expect(sent).toBe(true);
    expect(t.runningAhead).toBe(1);
    endless.resolve();
    await t.settledAhead();
    expect(t.runningAhead).toBe(0);
  });

  it('a failed run ahead releases the calls waiting for it; roomAhead wakes every waiter when one settles', async () => {
    const t = new SyncTracker();
    const first = pending();
    t.runAhead(() => first.promise);
    expect(t.runningAhead).toBe(1);
    // Two waiting for room, neither of which will run ahead once woken: both must wake.
    let woken = 0;
    const waiting = [t.roomAhead(1), t.roomAhead(1)].map((w) => w.then(() => woken++));
    let stat = false;
    const call = t.track('Stat', {}, async () => void (stat = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(woken).toBe(0);
    expect(stat).toBe(false);
    first.reject(new Error('lost'));
    await Promise.all([...waiting, call]);
    expect(woken).toBe(2);
    expect(stat).toBe(true);
    expect(t.runningAhead).toBe(0);
  });
});
