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

/**
 * A TCP proxy to `target` that can stop passing what clients send (`hold`) and then drop every
 * connection (`drop`): a request written but never delivered, its connection lost, as a network
 * that fails under a call does.
 */
export class HoldingProxy {
  /** Bytes clients sent since `hold` that did not go on. */
  heldBytes = 0;
  private holding = false;
  private readonly sockets = new Set<net.Socket>();
  private readonly listener: net.Server;

  private constructor(target: string) {
    const colon = target.lastIndexOf(':');
    const [host, port] = [target.slice(0, colon), Number(target.slice(colon + 1))];
    this.listener = net.createServer((client) => {
      const server = net.connect(port, host);
      for (const socket of [client, server]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.on('close', () => server.destroy());
      server.on('close', () => client.destroy());
      client.on('data', (data: Buffer) => {
        if (this.holding) this.heldBytes += data.length;
        else server.write(data);
      });
      server.pipe(client);
    });
  }

  static async start(target: string): Promise<HoldingProxy> {
    const proxy = new HoldingProxy(target);
    await new Promise<void>((resolve) => proxy.listener.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${(this.listener.address() as net.AddressInfo).port}`;
  }

  /** From now on, what clients send is kept back. */
  hold(): void {
    this.holding = true;
    this.heldBytes = 0;
  }

  /** Drops every connection (what was held is lost) and passes what is sent on new ones. */
  drop(): void {
    for (const socket of this.sockets) socket.destroy();
    this.holding = false;
  }

  close(): void {
    this.drop();
    this.listener.close();
  }
}
