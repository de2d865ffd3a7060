import { once } from 'node:events';
import { type AddressInfo, createConnection, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy between a client and the broker that can break the link on purpose:
 * - cutAll(): reset every open connection (both sides), as a crashed link or a killed peer would;
 * - blackHole(true): hold every byte in both directions, as a partitioned network does (TCP keeps
 *   retransmitting, nothing arrives); blackHole(false) delivers what was held and carries on;
 * - latency(ms): delay every chunk by ms, in order.
 */
export interface FaultProxy {
  readonly port: number;
  /** `amqpUrl` with its host and port replaced by the proxy's. */
  urlFor(amqpUrl: string): string;
  readonly openConnections: number;
  cutAll(): void;
  blackHole(on: boolean): void;
  latency(ms: number): void;
  close(): Promise<void>;
}

interface Pipe {
  readonly client: Socket;
  readonly upstream: Socket;
  /** Chunks held while black-holed, with the socket each goes to. */
  held: Array<{ to: Socket; chunk: Buffer }>;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pipes = new Set<Pipe>();
  let holding = false;
  let delayMs = 0;

  const forward = (pipe: Pipe, to: Socket, chunk: Buffer) => {
    if (holding) pipe.held.push({ to, chunk });
    else if (delayMs > 0) setTimeout(() => to.destroyed || to.write(chunk), delayMs);
    else if (!to.destroyed) to.write(chunk);
  };

  const server = createServer((client) => {
    client.setNoDelay(true);
    const upstream = createConnection({ host: target.host, port: target.port, noDelay: true });
    const pipe: Pipe = { client, upstream, held: [] };
    pipes.add(pipe);
    const end = () => {
      pipes.delete(pipe);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => forward(pipe, upstream, chunk));
    upstream.on('data', (chunk: Buffer) => forward(pipe, client, chunk));
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    port,
    urlFor: (amqpUrl) => {
      const url = new URL(amqpUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    get openConnections() {
      return pipes.size;
    },
    cutAll: () => {
      for (const pipe of [...pipes]) {
        pipe.client.resetAndDestroy();
        pipe.upstream.resetAndDestroy();
        pipes.delete(pipe);
      }
    },
    blackHole: (on) => {
      holding = on;
      if (on) return;
      for (const pipe of pipes) {
        const held = pipe.held;
        pipe.held = [];
        for (const { to, chunk } of held) if (!to.destroyed) to.write(chunk);
      }
    },
    latency: (ms) => {
      delayMs = ms;
    },
    close: async () => {
      holding = false;
      for (const pipe of [...pipes]) {
        pipe.client.destroy();
        pipe.upstream.destroy();
      }
      pipes.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
