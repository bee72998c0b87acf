// The namenode's local socket (common/frame-rpc.ts listenLocal): an error on its server after
// it listens (a failed accept: no descriptors left) is logged, and the socket goes on serving.
// A real Unix socket under an abstract name; Linux only, as the socket itself.

import net from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { listenLocal } from '../../common/frame-rpc.js';

const servers: net.Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** Echoes one line back on a connection to `@name`. */
async function echo(name: string, line: string): Promise<string> {
  const socket = net.connect({ path: `\0${name.slice(1)}` });
  try {
    socket.write(line);
    const [reply] = (await Promise.race([
      new Promise((resolve) => socket.once('data', (data: Buffer) => resolve([data.toString()]))),
      new Promise((_, reject) => socket.once('error', reject)),
    ])) as [string];
    return reply;
  } finally {
    socket.destroy();
  }
}

describe.runIf(process.platform === 'linux')('the local socket', () => {
  it('logs an error of its server (a failed accept) and keeps serving', async () => {
    const lines: Array<{ msg: string; err?: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as { msg: string; err?: string });
        done();
      },
    });
    const log = pino({ level: 'warn' }, sink);
    const server = net.createServer((socket) => socket.on('data', (data) => socket.write(data)));
    servers.push(server);
    const name = await listenLocal(server, log);
    expect(name).toMatch(/^@cairn-/);
    expect(await echo(name as string, 'before')).toBe('before');

    // As node:net reports a failed accept. Unheard, an 'error' event throws (the namenode would end).
    server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' }));
    expect(lines).toEqual([expect.objectContaining({ msg: 'local socket: accept failed', err: 'accept EMFILE' })]);
    expect(server.listening).toBe(true);
    expect(await echo(name as string, 'after')).toBe('after');
  });
});
