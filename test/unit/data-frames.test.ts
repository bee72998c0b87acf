// The data-transfer framing on a real loopback socket: frames sent in dribbles arrive whole, and
// with splitData a DATA or DATA_AT frame's bytes come as the socket's own pieces, uncopied.

import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameKind, frameHeader, readFrames, writeAll, writeBuffers, type Frame } from '../../common/data-protocol.js';
import { pseudoRandomBytes } from '../helpers/data.js';
import { waitFor } from '../helpers/mini-cluster.js';
import { loopbackPair } from '../helpers/sockets.js';

describe('readFrames', () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const fn of cleanup.splice(0)) fn();
  });

  /** A connected pair of sockets on loopback. */
  async function pair(): Promise<{ client: Socket; server: Socket }> {
    const made = await loopbackPair();
    cleanup.push(made.close);
    return made;
  }

  it('yields DATA and DATA_AT bytes as pieces with splitData, whole otherwise, whatever the segmenting', async () => {
    for (const splitData of [true, false]) {
      const { client, server } = await pair();
      const big = pseudoRandomBytes(700_000, 5);
      const at = Buffer.alloc(8);
      at.writeBigUInt64BE(123_456n, 0);
      const small = Buffer.from('tiny');
      const wire = Buffer.concat([
        frameHeader(FrameKind.data, big.length),
        big,
        frameHeader(FrameKind.dataAt, 8 + small.length),
        at,
        small,
        frameHeader(FrameKind.end, 0),
      ]);
      // Sent in uneven slices, so frames and their headers straddle socket reads.
      const sending = (async () => {
        for (let i = 0, off = 0; off < wire.length; i++) {
          const take = [3, 65_536, 1, 200_000, 7][i % 5] as number;
          await writeAll(client, wire.subarray(off, off + take));
          off += take;
        }
        client.end();
      })();
      const frames: Frame[] = [];
      for await (const frame of readFrames(server, undefined, undefined, splitData ? {} : undefined)) frames.push(frame);
      await sending;
      expect(frames.map((f) => f.kind)).toEqual([FrameKind.data, FrameKind.dataAt, FrameKind.end]);
      const [data, dataAt] = frames as [Frame, Frame];
      if (splitData) {
        expect(data.payload.length).toBe(0);
        expect((data.pieces ?? []).length).toBeGreaterThan(1);
        expect(Buffer.concat(data.pieces ?? []).equals(big)).toBe(true);
        expect(dataAt.payload.readBigUInt64BE(0)).toBe(123_456n);
        expect(Buffer.concat(dataAt.pieces ?? []).toString()).toBe('tiny');
      } else {
        expect(data.pieces).toBeUndefined();
        expect(data.payload.equals(big)).toBe(true);
        expect(dataAt.payload.subarray(8).toString()).toBe('tiny');
      }
    }
  });

  it('writeBuffers says the buffers were sent only once they have left the process, or the socket failed', async () => {
    // A datanode releases the memory of forwarded bytes on this signal (common/read-slabs.ts).
    for (const ending of ['read', 'destroy'] as const) {
      const { client, server } = await pair();
      server.pause(); // the peer reads nothing: the kernel's buffers fill, the rest waits in the process
      let sent = 0;
      const big = Buffer.alloc(32 * 1024 * 1024, 1);
      const writing = writeBuffers(client, [frameHeader(FrameKind.data, big.length), big], () => sent++).catch(() => undefined);
      await waitFor(() => client.writableLength > 0, 5000, 'the client to hold bytes the peer does not read');
      for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(sent).toBe(0);
      if (ending === 'read') server.resume();
      else client.destroy();
      await waitFor(() => sent === 1, 5000, 'the sent callback');
      await writing;
      expect(sent).toBe(1);
    }
  });
});
