// The namenode serves ClientNamenode over gRPC and over framed TCP (common/frame-rpc.ts): the
// same methods, answers and errors on both, and the framed port checks the cluster secret. The
// SDK clients of one process with one identity share a framed connection, each call naming its
// client (CALL_AS).

import fsp from 'node:fs/promises';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameHeader, jsonFrame } from '../../common/data-protocol.js';
import { FrameRpcConnection } from '../../common/frame-rpc.js';
import { cairnProto, callUnary, channelOptions } from '../../common/rpc.js';
import type { HandshakeReply__Output } from '../../proto/gen/cairn/HandshakeReply.js';
import type { ClientNamenodeClient } from '../../proto/gen/cairn/ClientNamenode.js';
import { MiniCluster } from '../helpers/mini-cluster.js';
import { pseudoRandomBytes, sha256 } from '../helpers/data.js';
import { codeOf } from '../helpers/mount.js';

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

/** Sockets this process holds open (the namenode's framed connections among them). */
async function socketsOpen(): Promise<number> {
  const fds = await fsp.readdir('/proc/self/fd');
  const links = await Promise.all(fds.map((fd) => fsp.readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return links.filter((link) => link.startsWith('socket:')).length;
}

describe('SDK clients of one process with one identity', () => {
  it('share one framed connection, each calling as itself: leases stay each client\'s own', async () => {
    const root = cluster.client();
    await root.mkdir('/shared');
    await root.chmod('/shared', 0o777);
    const identity = { uid: 3000, gid: 3000 };
    const first = cluster.client(identity);
    await first.stat('/shared'); // its connection is up, made with its client id in the hello
    const socketsBefore = await socketsOpen();
    const others = [...Array(10).keys()].map(() => cluster.client(identity));
    await Promise.all(others.map((client) => client.stat('/shared')));
    // Ten connections of their own would be ten more sockets at least.
    expect((await socketsOpen()) - socketsBefore).toBeLessThan(5);

    // The first client holds the lease; the others' calls on the same connection are not its.
    const held = await first.open('/shared/leased', 'w');
    await held.write(Buffer.from('first'), 0, 5, 0);
    for (const other of others.slice(0, 3)) expect(await codeOf(other.open('/shared/leased', 'r+'))).toBe('EBUSY');
    // And the other way round: a lease an other took is not the first client's.
    const taken = await others[0]!.open('/shared/other', 'w');
    await taken.write(Buffer.from('other'), 0, 5, 0);
    expect(await codeOf(first.open('/shared/other', 'r+'))).toBe('EBUSY');
    await taken.close();
    await held.close();
    expect(await root.readFile('/shared/leased', 'utf8')).toBe('first');

    // A client that closes takes only its own calls with it: the connection stays up for the others.
    await first.close();
    await Promise.all(others.slice(1).map(async (client) => expect((await client.stat('/shared/leased')).size).toBe(5)));
    for (const client of others) await client.close();
    await root.close();
  });

  it('go on, each on a connection of its own, when their namenode restarts without shared calls (as an older one)', async () => {
    const own = await MiniCluster.start({ datanodes: 1 });
    try {
      const root = own.client();
      await root.mkdir('/old');
      await root.chmod('/old', 0o777);
      const identity = { uid: 3001, gid: 3001 };
      const clients = [...Array(4).keys()].map(() => own.client(identity));
      await Promise.all(clients.map((client) => client.stat('/old')));
      // Restarted refusing CALL_AS frames, as a namenode older than them: a client still calling
      // as itself on the shared connection would get EINVAL and the connection closed, and every
      // call after fail.
      await own.killNamenode();
      await own.startNamenode(undefined, ['--shared-calls', 'off']);
      for (const client of clients) expect((await client.stat('/old')).isDirectory()).toBe(true);
      // Each connection says whose it is: leases stay each client's own.
      const held = await clients[0]!.open('/old/leased', 'w');
      await held.write(Buffer.from('first'), 0, 5, 0);
      for (const other of clients.slice(1)) expect(await codeOf(other.open('/old/leased', 'r+'))).toBe('EBUSY');
      await held.close();
      expect(await clients[1]!.readFile('/old/leased', 'utf8')).toBe('first');
      for (const client of clients) await client.close();
      await root.close();
    } finally {
      await own.stop();
    }
  });

  it('the namenode refuses a malformed CALL_AS frame and keeps serving others', async () => {
    const { frameRpcPort } = await handshake();
    const host = cluster.namenodeAddress.split(':')[0] as string;
    const socket = net.connect(frameRpcPort, host);
    const hello = jsonFrame(0, { secret: cluster.secret, uid: 0, gid: 0, clientId: 'raw' });
    // CALL_AS (6): call id 1, then a client id said to be 200 bytes long in a 9-byte payload.
    const bad = Buffer.concat([Buffer.from([0, 0, 0, 1, 200]), Buffer.from('abcd')]);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(Buffer.concat([hello, frameHeader(6, bad.length), bad]));
    await closed;
    const answer = Buffer.concat(received);
    // HELLO_OK, then ERROR (5) saying what was wrong.
    expect(answer[0]).toBe(1);
    const errorAt = 5 + answer.readUInt32BE(1);
    expect(answer[errorAt]).toBe(5);
    expect(answer.subarray(errorAt + 5).toString()).toContain('malformed call frame');
    expect((await cluster.client().stat('/')).ino).toBe(1);
  });
});
