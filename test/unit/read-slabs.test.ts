// Socket reads into reused slabs (common/read-slabs.ts), on real loopback sockets: bytes a holder
// has not released keep their values while many more are read, released slabs are read into
// again, and the server still knows when its adopted connections are gone.

import type { Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameKind, frameHeader, readFrames, writeAll, type Frame } from '../../common/data-protocol.js';
import { ReadSlabs } from '../../common/read-slabs.js';
import { pseudoRandomBytes } from '../helpers/data.js';
import { waitFor } from '../helpers/mini-cluster.js';
import { loopbackPair } from '../helpers/sockets.js';

describe('ReadSlabs', () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const fn of cleanup.splice(0)) fn();
  });

  /** A server whose connections read into `slabs`, and a client connected to it. */
  async function adoptedPair(slabs: ReadSlabs): Promise<{ client: Socket; server: Socket; listener: Server }> {
    const made = await loopbackPair({ pauseOnConnect: true }, (socket) => slabs.adoptAccepted(socket));
    cleanup.push(made.close);
    return made;
  }

  /** Sends `count` DATA frames of `bytes` each (frame i filled from seed i + seed0), then ends. */
  async function sendFrames(client: Socket, count: number, bytes: number, seed0: number): Promise<Buffer[]> {
    const sent: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const data = pseudoRandomBytes(bytes, seed0 + i);
      sent.push(data);
      await writeAll(client, frameHeader(FrameKind.data, data.length), data);
    }
    return sent;
  }

  it('keeps the bytes of unreleased frames while later frames are read, and reads into released slabs again', async () => {
    const slabs = new ReadSlabs();
    const { client, server } = await adoptedPair(slabs);
    const frames = readFrames(server, undefined, undefined, { slabs });
    const count = 80;
    const sending = sendFrames(client, count, 100_000, 1000); // 8 MB: ~32 slabs of 256 KiB if none came back
    const held: Frame[] = [];
    const got: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const next = await frames.next();
      const frame = next.value as Frame;
      got.push(Buffer.concat(frame.pieces ?? []));
      // Every pieces view is a slab's; the first 20 frames are held, the others released at once.
      if (i < 20) held.push(frame);
      else frame.release?.();
    }
    const sent = await sending;
    for (let i = 0; i < count; i++) expect(got[i]?.equals(sent[i] as Buffer)).toBe(true);
    // The held frames' bytes are still theirs: no slab they are in was read into again.
    for (const [i, frame] of held.entries()) expect(Buffer.concat(frame.pieces ?? []).equals(sent[i] as Buffer)).toBe(true);
    expect(slabs.stats.reused).toBeGreaterThan(0);
    expect(slabs.stats.allocated).toBeLessThan(32);
    for (const frame of held) frame.release?.();
    // With everything released, more frames are read into the same slabs.
    const allocated = slabs.stats.allocated;
    const more = sendFrames(client, 40, 100_000, 5000);
    for (let i = 0; i < 40; i++) {
      const frame = (await frames.next()).value as Frame;
      expect(Buffer.concat(frame.pieces ?? []).equals(pseudoRandomBytes(100_000, 5000 + i))).toBe(true);
      frame.release?.();
    }
    await more;
    expect(slabs.stats.allocated - allocated).toBeLessThanOrEqual(2);
    expect(slabs.stats.overReleased).toBe(0);
  });

  it('never reuses a slab whose bytes were released twice', async () => {
    const slabs = new ReadSlabs();
    const { client, server } = await adoptedPair(slabs);
    const frames = readFrames(server, undefined, undefined, { slabs });
    const sending = sendFrames(client, 1, 50_000, 7);
    const frame = (await frames.next()).value as Frame;
    await sending;
    frame.release?.();
    frame.release?.(); // a frame's release counts once
    expect(slabs.stats.overReleased).toBe(0);
    for (const piece of frame.pieces ?? []) slabs.release(piece); // a holder's mistake
    expect(slabs.stats.overReleased).toBeGreaterThan(0);
  });

  it('stops reading a connection nobody listens to, rather than reading it into ever more slabs', async () => {
    const slabs = new ReadSlabs();
    const { client } = await adoptedPair(slabs);
    // Nobody reads the server's socket: the client's bytes pile up in the kernel, then in its own buffer.
    void writeAll(client, Buffer.alloc(16 * 1024 * 1024, 3)).catch(() => undefined);
    await waitFor(() => client.writableLength > 0, 5000, 'the client to hold bytes nobody reads');
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(slabs.stats.allocated).toBeLessThanOrEqual(2);
  });

  it('destroys a connection whose data listener throws, so that no read lands over bytes handed out', async () => {
    const slabs = new ReadSlabs();
    const { client, server } = await adoptedPair(slabs);
    const closed = new Promise<Error | undefined>((resolve) => server.once('error', resolve));
    server.on('data', () => {
      throw new Error('listener failed');
    });
    await writeAll(client, Buffer.alloc(1000, 1));
    expect((await closed)?.message).toBe('listener failed');
    await waitFor(() => server.destroyed, 5000, 'the socket destroyed');
  });

  it('lets the server close once its adopted connections have ended', async () => {
    const slabs = new ReadSlabs();
    const { client, server, listener } = await adoptedPair(slabs);
    const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
    let done = false;
    void closed.then(() => (done = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false); // the connection is still open
    const serverClosed = new Promise((resolve) => server.once('close', resolve));
    client.destroy();
    await serverClosed;
    await closed;
  });
});
