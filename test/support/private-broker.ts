import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../scripts/rabbit-node.sh', import.meta.url));

/**
 * A private RabbitMQ node for tests that disturb the broker (stop it, close its connections, raise
 * its alarms). It never touches the system node on 5672 that other tests share.
 */
export interface PrivateBroker {
  readonly name: string;
  readonly node: string;
  readonly url: string;
  /** amqps://guest:guest@localhost:<tls port>, when started with a TLS listener. */
  readonly tlsUrl: string | undefined;
  /** rabbitmqctl -n <node> …args; resolves with its standard output. */
  ctl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** A TLS listener beside the plain one: the server's certificate and key, and the CA its clients' certificates must chain to. */
export interface TlsListener {
  readonly port: number;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export async function startPrivateBroker(options: { name?: string; port?: number; tls?: TlsListener } = {}): Promise<PrivateBroker> {
  const name = options.name ?? 'chaos';
  const port = options.port ?? 5673;
  const { tls } = options;
  if (port === 5672) throw new Error('5672 is the shared system node: a private broker needs a port of its own');
  const tlsEnv = tls ? { RABBIT_NODE_TLS_PORT: String(tls.port), RABBIT_NODE_TLS_CA: tls.ca, RABBIT_NODE_TLS_CERT: tls.cert, RABBIT_NODE_TLS_KEY: tls.key } : {};
  await run(SCRIPT, ['start', name, String(port)], { timeout: 120_000, env: { ...process.env, RABBIT_NODE_FRESH: '1', ...tlsEnv } });
  return {
    name,
    node: `${name}@localhost`,
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    tlsUrl: tls ? `amqps://guest:guest@localhost:${tls.port}` : undefined,
    ctl: async (...args) => (await run(SCRIPT, ['ctl', name, ...args], { timeout: 60_000 })).stdout,
    stop: async () => {
      await run(SCRIPT, ['stop', name, String(port)], { timeout: 90_000 });
    },
  };
}
