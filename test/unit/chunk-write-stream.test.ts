// When a chunk write's frames leave (common/transfer.ts ChunkWriteStream), seen by a real
// loopback server that records every frame: the header with the first frame after it, held
// frames with the end, a header sent alone at once, and held frames never sent after an abort.

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameKind, readFrames } from '../../common/data-protocol.js';
import { DataTransferPool } from '../../common/transfer.js';
import { waitFor } from '../helpers/mini-cluster.js';

/** The kinds of the frames each connection brought, in order. */
const received: number[][] = [];
let server: net.Server;
let address = '';
const pool = new DataTransferPool({ secret: 's', uid: 0, gid: 0, clientId: 'test' });

beforeAll(async () => {
  server = net.createServer((socket) => {
    const kinds: number[] = [];
    received.push(kinds);
    void (async () => {
      for await (const frame of readFrames(socket)) kinds.push(frame.kind);
    })().catch(() => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const header = { chunkId: 1, gen: 2, baseGen: 0, baseLengthBytes: 0, baseDurable: false, offsetBytes: 0, finalLengthBytes: -1, token: 't', downstream: [] };
const { hello, writeHeader, data, end } = FrameKind;

/** Lets the event loop run a few turns (everything written so far reaches the server's reads). */
async function turns(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Opens a stream on a new connection; returns it with the frame kinds its connection brings. */
async function open(): Promise<{ stream: ReturnType<DataTransferPool['openWrite']>; kinds: () => number[] }> {
  const before = received.length;
  const stream = pool.openWrite(address, header, 10_000);
  await waitFor(() => received.length > before, 5_000, 'the connection');
  const kinds = received[before] as number[];
  await waitFor(() => kinds.length >= 1, 5_000, 'the hello');
  return { stream, kinds: () => kinds };
}

describe('ChunkWriteStream', () => {
  it('the header waits for the first data frame and leaves with it; the end follows at finish', async () => {
    const { stream, kinds } = await open();
    await turns();
    expect(kinds()).toEqual([hello]);
    await stream.write(Buffer.from('abc'));
    await waitFor(() => kinds().length === 3, 5_000, 'header and data');
    expect(kinds()).toEqual([hello, writeHeader, data]);
    void stream.finish();
    await waitFor(() => kinds().length === 4, 5_000, 'the end');
    expect(kinds()).toEqual([hello, writeHeader, data, end]);
    stream.abort();
  });

  it('held frames leave only with the end, in order, and are told sent once', async () => {
    const { stream, kinds } = await open();
    stream.hold();
    let sent = 0;
    await stream.write(Buffer.from('one'), () => sent++);
    await stream.writeAt(10, Buffer.from('two'), () => sent++);
    await turns();
    expect(kinds()).toEqual([hello]);
    expect(sent).toBe(0);
    void stream.finish();
    await waitFor(() => kinds().length === 5, 5_000, 'every held frame and the end');
    expect(kinds()).toEqual([hello, writeHeader, data, FrameKind.dataAt, end]);
    await waitFor(() => sent === 2, 5_000, 'the sent callbacks');
    stream.abort();
    await turns();
    expect(sent).toBe(2);
  });

  it('sendHeader sends the header alone at once; an empty write ends with the end alone', async () => {
    const { stream, kinds } = await open();
    stream.sendHeader();
    await waitFor(() => kinds().length === 2, 5_000, 'the header');
    expect(kinds()).toEqual([hello, writeHeader]);
    void stream.finish();
    await waitFor(() => kinds().length === 3, 5_000, 'the end');
    expect(kinds()).toEqual([hello, writeHeader, end]);
    stream.abort();
  });

  it('an abort while frames are held sends nothing more, and tells their owners they will never leave', async () => {
    const { stream, kinds } = await open();
    stream.hold();
    let sent = 0;
    await stream.write(Buffer.from('held'), () => sent++);
    stream.abort();
    expect(sent).toBe(1);
    void stream.finish().catch(() => undefined);
    await turns();
    expect(kinds()).toEqual([hello]);
    expect(sent).toBe(1);
  });
});
