import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { Socket } from 'node:net';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The broker `npm run demo` runs on: the configured one when it answers, else one the demo starts
 * itself (a private RabbitMQ node, else a container), else one sentence saying what to install.
 */

const RABBIT_NODE = fileURLToPath(new URL('../../scripts/rabbit-node.sh', import.meta.url));
/** The demo's own node: its name, and ports the system node (5672) and the tests never use. */
export const DEMO_NODE = { name: 'demo', port: 5699 } as const;
const CONTAINER_IMAGE = 'rabbitmq:3.13-alpine';

type BrokerSource = 'configured' | 'private-node' | 'container';

export interface DemoBroker {
  readonly source: BrokerSource;
  /** The URL the relay and workers use; undefined for the configured broker (they read their environment as usual). */
  readonly url: string | undefined;
  stop(): Promise<void>;
}

export interface BrokerProbes {
  /** Whether something accepts TCP connections at one of the configured URLs. */
  configuredAnswers(): Promise<boolean>;
  /** Whether every configured URL is on this machine (a remote broker that is down is not replaced by a local one). */
  configuredIsLocal(): boolean;
  rabbitmqServerInstalled(): boolean;
  dockerAnswers(): Promise<boolean>;
}

export type BrokerPlan = BrokerSource | 'none';

export const NOTHING_TO_RUN =
  'No RabbitMQ for the demo: nothing answers at RABBITMQ_URL, and neither rabbitmq-server nor a Docker engine is available; install RabbitMQ (e.g. `apt-get install rabbitmq-server`) or Docker, or set RABBITMQ_URL to a running broker.';

/** Which broker to use, probing only as far as needed. */
export async function planBroker(probes: BrokerProbes): Promise<BrokerPlan> {
  if (await probes.configuredAnswers()) return 'configured';
  if (!probes.configuredIsLocal()) return 'configured';
  if (probes.rabbitmqServerInstalled()) return 'private-node';
  if (await probes.dockerAnswers()) return 'container';
  return 'none';
}

export function tcpAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  const { hostname, port, protocol } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(port || (protocol === 'amqps:' ? 5671 : 5672)), hostname.replace(/^\[(.*)\]$/, '$1'), () => done(true));
  });
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export function systemProbes(urls: readonly string[]): BrokerProbes {
  return {
    configuredAnswers: async () => (await Promise.all(urls.map((url) => tcpAnswers(url)))).some(Boolean),
    configuredIsLocal: () => urls.every((url) => LOOPBACK.has(new URL(url).hostname)),
    rabbitmqServerInstalled: () => ['/usr/lib/rabbitmq/bin', ...(process.env.PATH ?? '').split(delimiter)].some((dir) => isExecutable(join(dir, 'rabbitmq-server'))),
    dockerAnswers: async () => {
      try {
        const { getContainerRuntimeClient } = await import('testcontainers');
        await getContainerRuntimeClient();
        return true;
      } catch {
        return false;
      }
    },
  };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A private node through scripts/rabbit-node.sh, from empty data; stopped by `stop()`. */
export async function startPrivateNode(): Promise<DemoBroker> {
  const { name, port } = DEMO_NODE;
  const stop = () => rabbitNode(['stop', name, String(port)], 90_000);
  try {
    await rabbitNode(['start', name, String(port)], 120_000, { RABBIT_NODE_FRESH: '1' });
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
  return { source: 'private-node', url: `amqp://guest:guest@127.0.0.1:${port}`, stop };
}

/**
 * scripts/rabbit-node.sh in a process group of its own: a Ctrl-C in the terminal must not kill it
 * half-way through a start (the node would outlive the demo); the demo stops the node itself.
 */
function rabbitNode(args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(RABBIT_NODE, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`scripts/rabbit-node.sh ${args[0]} ${args[1]} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`));
    });
  });
}

export async function startContainer(): Promise<DemoBroker> {
  const { RabbitMQContainer } = await import('@testcontainers/rabbitmq');
  const container = await new RabbitMQContainer(CONTAINER_IMAGE).start();
  return {
    source: 'container',
    url: container.getAmqpUrl().replace('amqp://', 'amqp://guest:guest@'),
    stop: async () => void (await container.stop()),
  };
}
