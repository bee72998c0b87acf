// The namenode serves ClientNamenode over gRPC and over framed TCP (common/frame-rpc.ts): the
// same methods, answers and errors on both, and the framed port checks the cluster secret.

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameRpcConnection } from '../../common/frame-rpc.js';
import { cairnProto, callUnary, channelOptions } from '../../common/rpc.js';
import type { HandshakeReply__Output } from '../../proto/gen/cairn/HandshakeReply.js';
import type { ClientNamenodeClient } from '../../proto/gen/cairn/ClientNamenode.js';
import { MiniCluster } from '../helpers/mini-cluster.js';
import { pseudoRandomBytes, sha256 } from '../helpers/data.js';

let cluster: MiniCluster;

beforeAll(async () => {
  cluster = await MiniCluster.start({ datanodes: 3 });
});
afterAll(async () => {
  await cluster?.stop();
});

async function handshake(): Promise<HandshakeReply__Output> {
  const Ctor = cairnProto().cairn.ClientNamenode;
  const client = new Ctor(cluster.namenodeAddress, grpc.credentials.createInsecure(), channelOptions) as ClientNamenodeClient;
  try {
    const identity = { secret: cluster.secret, uid: 0, gid: 0, clientId: 't' };
    return await callUnary<object, HandshakeReply__Output>(client, client.Handshake as never, {}, identity, 5000);
  } finally {
    client.close();
  }
}

async function framePort(): Promise<number> {
  return (await handshake()).frameRpcPort;
}

describe('gRPC and framed TCP', () => {
  it('give the same answers and the same errors', async () => {
    const framed = cluster.client();
    const viaGrpc = cluster.client({ transport: 'grpc' });
    const data = pseudoRandomBytes(300_000, 4);
    await framed.mkdir('/both');
    await framed.writeFile('/both/file', data);
    expect(sha256(await viaGrpc.readFile('/both/file'))).toBe(sha256(data));
    const [a, b] = [await framed.stat('/both/file'), await viaGrpc.stat('/both/file')];
    expect({ ino: a.ino, size: a.size, mode: a.mode }).toEqual({ ino: b.ino, size: b.size, mode: b.mode });
    for (const fs of [framed, viaGrpc]) {
      await expect(fs.stat('/both/missing')).rejects.toMatchObject({ code: 'ENOENT', path: '/both/missing' });
      await expect(fs.mkdir('/both/file/under')).rejects.toMatchObject({ code: 'ENOTDIR' });
    }
    expect(framed.dataConnections.connects).toBeGreaterThan(0);
  });

  it('carry the caller\'s supplementary groups: the group bits apply for any of them', async () => {
    const root = cluster.client();
    await root.mkdir('/team');
    await root.chown('/team', 0, 4242);
    await root.chmod('/team', 0o770);
    for (const transport of ['frame', 'grpc'] as const) {
      const member = cluster.client({ uid: 1000, gid: 1000, groups: [7, 4242], transport });
      const outsider = cluster.client({ uid: 1001, gid: 1001, groups: [7], transport });
      const name = `/team/by-${transport}`;
      await (await member.open(name, 'w')).close();
      expect((await member.readdir('/team')).length).toBeGreaterThan(0);
      // The owner may give its file to one of its supplementary groups.
      await member.chown(name, 1000, 4242);
      expect((await root.lstat(name)).gid).toBe(4242);
      expect(await outsider.readdir('/team').then(() => 'ok', (e: { code?: string }) => e.code)).toBe('EACCES');
      expect(await outsider.open(`${name}-not`, 'w').then(() => 'ok', (e: { code?: string }) => e.code)).toBe('EACCES');
    }
  });

  it('a client on the namenode\'s machine calls over its local socket, which checks the secret too; a name nobody serves falls back to TCP', async () => {
    const { frameRpcPort, localSocket } = await handshake();
    expect(localSocket).toMatch(/^@cairn-[0-9a-f-]{36}$/); // an abstract name (Linux), fresh at each start
    const host = cluster.namenodeAddress.split(':')[0] as string;
    const service = cairnProto().cairn.ClientNamenode.service;
    const identity = { secret: cluster.secret, uid: 0, gid: 0, clientId: 't' };
    const local = await FrameRpcConnection.connect(`${host}:${frameRpcPort}`, service, identity, 5000, localSocket);
    const elsewhere = await FrameRpcConnection.connect(`${host}:${frameRpcPort}`, service, identity, 5000, '@cairn-not-served-here');
    try {
      expect([local.local, elsewhere.local]).toEqual([true, false]);
      for (const connection of [local, elsewhere]) {
        await expect(connection.call('Stat', { path: '/', follow: true }, 5000)).resolves.toMatchObject({ attr: { inode: 1 } });
      }
    } finally {
      local.close();
      elsewhere.close();
    }
    await expect(
      FrameRpcConnection.connect(`${host}:${frameRpcPort}`, service, { ...identity, secret: 'wrong' }, 5000, localSocket),
    ).rejects.toMatchObject({ code: 'EAUTH' });
  });

  it('the framed port refuses a wrong secret, and unknown methods are EINVAL', async () => {
    const port = await framePort();
    expect(port).toBeGreaterThan(0);
    const host = cluster.namenodeAddress.split(':')[0] as string;
    const service = cairnProto().cairn.ClientNamenode.service;
    await expect(
      FrameRpcConnection.connect(`${host}:${port}`, service, { secret: 'wrong', uid: 0, gid: 0, clientId: 't' }, 5000),
    ).rejects.toMatchObject({ code: 'EAUTH' });
    const connection = await FrameRpcConnection.connect(`${host}:${port}`, service, { secret: cluster.secret, uid: 0, gid: 0, clientId: 't' }, 5000);
    try {
      await expect(connection.call('Stat', { path: '/', follow: true }, 5000)).resolves.toMatchObject({ attr: { inode: 1 } });
      await expect(connection.call('NoSuchMethod', {}, 5000)).rejects.toMatchObject({ code: 'EINVAL' });
    } finally {
      connection.close();
    }
  });
});
