import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The private three-node cluster of scripts/cluster.sh (c1..c3@localhost on 5681-5683), driven from tests. */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const NODE_COUNT = 3;
export const amqpPort = (node: number) => 5680 + node;
export const nodeUrl = (node: number) => `amqp://guest:guest@127.0.0.1:${amqpPort(node)}`;
export const nodeName = (node: number) => `c${node}@localhost`;

/** The RABBITMQ_URL value listing every node, starting with `first`. */
export function clusterUrls(first = 1): string {
  return Array.from({ length: NODE_COUNT }, (_, i) => nodeUrl(((first - 1 + i) % NODE_COUNT) + 1)).join(',');
}

/** Which node a `host:port` (as /debug/actors reports it) is. */
export function nodeOfHost(host: string | null | undefined): number | undefined {
  const port = Number(host?.split(':')[1]);
  const node = port - 5680;
  return node >= 1 && node <= NODE_COUNT ? node : undefined;
}

export async function cluster(command: 'start' | 'stop' | 'status' | 'kill', ...args: string[]): Promise<string> {
  const { stdout } = await run('bash', [`${ROOT}scripts/cluster.sh`, command, ...args], { cwd: ROOT, timeout: 240_000 });
  return stdout;
}

export interface QueueInfo {
  readonly name: string;
  readonly type: string;
  readonly leader?: string;
  readonly members?: string[];
}

/** rabbitmqctl list_queues on `node`, as JSON. */
export async function listQueues(node: number): Promise<QueueInfo[]> {
  const { stdout } = await run(
    'bash',
    [`${ROOT}scripts/cluster.sh`, 'ctl', String(node), 'list_queues', 'name', 'type', 'leader', 'members', '--formatter', 'json', '-q'],
    { cwd: ROOT, timeout: 30_000 },
  );
  return JSON.parse(stdout) as QueueInfo[];
}
