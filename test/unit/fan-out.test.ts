// A small new chunk written to every node of its pipeline at once (common/transfer.ts
// FanOutWriteStream), against real loopback servers that speak the write side of the data
// protocol: each gets the header without downstream nodes and the same bytes, and the
// acknowledgement is built as the pipeline's first node would build it (the nodes that stored
// the chunk in pipeline order, the ones that failed for the writer to exclude).

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameKind, jsonFrame, parseJson, readFrames } from '../../common/data-protocol.js';
import { DataTransferPool } from '../../common/transfer.js';
import { joined } from '../../client/sdk/chunk-io.js';

/** How a fake datanode answers the end of a write. */
type Behaviour = 'ack' | 'drop' | 'short';

interface FakeDatanode {
  id: string;
  address: string;
  behaviour: Behaviour;
  /** Each write it received: the header's downstream, and the bytes. */
  writes: Array<{ downstream: unknown[]; bytes: Buffer }>;
  server: net.Server;
}

async function fakeDatanode(id: string): Promise<FakeDatanode> {
  const node: FakeDatanode = { id, address: '', behaviour: 'ack', writes: [], server: net.createServer() };
  node.server.on('connection', (socket) => {
    void (async () => {
      let downstream: unknown[] = [];
      const pieces: Buffer[] = [];
      for await (const frame of readFrames(socket)) {
        if (frame.kind === FrameKind.writeHeader) downstream = parseJson<{ downstream: unknown[] }>(frame, 'header').downstream;
        else if (frame.kind === FrameKind.data) pieces.push(Buffer.from(frame.payload));
        else if (frame.kind === FrameKind.end) {
          const bytes = Buffer.concat(pieces);
          node.writes.push({ downstream, bytes });
          if (node.behaviour === 'drop') return socket.destroy();
          const lengthBytes = node.behaviour === 'short' ? bytes.length - 1 : bytes.length;
          socket.write(jsonFrame(FrameKind.ack, { datanodeIds: [id], lengthBytes, failed: [] }));
          pieces.length = 0;
        }
      }
    })().catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => node.server.listen(0, '127.0.0.1', resolve));
  node.address = `127.0.0.1:${(node.server.address() as net.AddressInfo).port}`;
  return node;
}

const nodes: FakeDatanode[] = [];
const pool = new DataTransferPool({ secret: 's', uid: 0, gid: 0, clientId: 'test' });
const header = { chunkId: 7, gen: 1, baseGen: 0, baseLengthBytes: 0, baseDurable: false, offsetBytes: 0, finalLengthBytes: -1, token: 't', downstream: [] };

beforeAll(async () => {
  for (const id of ['dn-a', 'dn-b', 'dn-c']) nodes.push(await fakeDatanode(id));
});
afterAll(async () => {
  for (const node of nodes) await new Promise((resolve) => node.server.close(resolve));
});

/** Writes `bytes` held, to all three nodes, and finishes: the acknowledgement, or what it failed with. */
async function fanOut(bytes: Buffer): Promise<Awaited<ReturnType<ReturnType<DataTransferPool['openFanOut']>['finish']>>> {
  const stream = pool.openFanOut(nodes, { ...header, downstream: nodes.slice(1).map(({ id, address }) => ({ id, address })) }, 10_000);
  stream.hold();
  let sent = 0;
  await stream.write(bytes.subarray(0, 5), () => sent++);
  await stream.write(bytes.subarray(5), () => sent++);
  try {
    return await stream.finish();
  } finally {
    stream.abort();
    expect(sent).toBe(2); // each write's bytes released once, after every node is done with them
  }
}

describe('FanOutWriteStream', () => {
  it('sends every node the whole chunk with no node below it, and answers for all of them in pipeline order', async () => {
    for (const node of nodes) node.behaviour = 'ack';
    const before = nodes.map((n) => n.writes.length);
    const bytes = Buffer.from('a small file, held until its close');
    const ack = await fanOut(bytes);
    expect(ack).toEqual({ datanodeIds: ['dn-a', 'dn-b', 'dn-c'], failed: [], lengthBytes: bytes.length });
    nodes.forEach((node, i) => {
      expect(node.writes.length).toBe((before[i] as number) + 1);
      const write = node.writes.at(-1);
      expect(write?.downstream).toEqual([]);
      expect(write?.bytes.equals(bytes)).toBe(true);
    });
  });

  it('a node that fails is named for the writer to exclude, and the others still count', async () => {
    nodes.forEach((node) => (node.behaviour = node.id === 'dn-b' ? 'drop' : 'ack'));
    const ack = await fanOut(Buffer.from('0123456789'));
    expect(ack.datanodeIds).toEqual(['dn-a', 'dn-c']);
    expect(ack.failed).toEqual(['dn-b']);
  });

  it('a node that stored another length than the first is not counted as a replica', async () => {
    nodes.forEach((node) => (node.behaviour = node.id === 'dn-c' ? 'short' : 'ack'));
    const ack = await fanOut(Buffer.from('0123456789'));
    expect(ack).toEqual({ datanodeIds: ['dn-a', 'dn-b'], failed: ['dn-c'], lengthBytes: 10 });
  });

  it('fails when no node stored the chunk', async () => {
    for (const node of nodes) node.behaviour = 'drop';
    await expect(fanOut(Buffer.from('0123456789'))).rejects.toThrow();
  });
});

describe('joined (the held writes of a small upload, sent as few frames)', () => {
  it('makes each run of adjoining writes one, in order, and keeps the bytes', () => {
    const w = (at: number, text: string): { at: number; data: Buffer } => ({ at, data: Buffer.from(text) });
    const writes = [w(0, 'abc'), w(3, 'de'), w(5, 'f'), w(10, 'xy'), w(2, 'Z'), w(3, 'Q')];
    const out = joined(writes).map((j) => [j.at, j.data.toString()]);
    // A write elsewhere (10), then one back over earlier bytes (2): each starts a run of its own.
    expect(out).toEqual([[0, 'abcdef'], [10, 'xy'], [2, 'ZQ']]);
    const single = w(4, 'only');
    expect(joined([single])[0]).toBe(single); // alone: not copied
    expect(joined([])).toEqual([]);
  });
});
