import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', ['-q', ...args], { timeout: 20_000 });
  return stdout;
}

/**
 * Closes the one broker connection whose client-provided name is `connectionName` (the relay
 * names its own "amqp-relay <instanceId>"); every other connection on the shared broker stays.
 * Resolves to how many connections were closed.
 */
export async function closeConnectionNamed(connectionName: string, reason: string): Promise<number> {
  const listed = JSON.parse(await rabbitmqctl('list_connections', 'name', 'client_properties', '--formatter', 'json')) as {
    name: string;
    client_properties: [string, string, unknown][];
  }[];
  const names = new Set(
    listed.filter((c) => c.client_properties.some(([key, , value]) => key === 'connection_name' && value === connectionName)).map((c) => c.name),
  );
  if (names.size === 0) return 0;
  // The JSON formatter prints pids in a form close_connection does not take; the plain listing does.
  const pids = (await rabbitmqctl('list_connections', 'pid', 'name', '--no-table-headers'))
    .split('\n')
    .map((line) => line.split('\t'))
    .filter(([, name]) => name !== undefined && names.has(name))
    .map(([pid]) => pid!);
  for (const pid of pids) await rabbitmqctl('close_connection', pid, reason);
  return pids.length;
}
