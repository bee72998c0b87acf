// Real sockets on loopback for unit tests of the framing and the read slabs.

import net, { type Socket } from 'node:net';

export interface LoopbackPair {
  client: Socket;
  /** The accepted connection, as `accept` made it. */
  server: Socket;
  listener: net.Server;
  close: () => void;
}

/** A client connected to a fresh server made with `options`; `accept` gets each accepted socket. */
export async function loopbackPair(options: net.ServerOpts = {}, accept: (socket: Socket) => Socket = (socket) => socket): Promise<LoopbackPair> {
  const listener = net.createServer(options);
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<Socket>((resolve) => listener.once('connection', (socket: Socket) => resolve(accept(socket))));
  const client = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  const server = await accepted;
  return {
    client,
    server,
    listener,
    close: () => {
      client.destroy();
      server.destroy();
      listener.close();
    },
  };
}
