import { tcpAnswers } from '../../src/demo/broker.ts';

export interface BrokerFixture {
  readonly url: string;
  readonly source: 'AMQP_URL' | 'testcontainers' | 'local';
  stop(): Promise<void>;
}

const LOCAL_URL = 'amqp://guest:guest@127.0.0.1:5672';

const reachable = (url: string) => tcpAnswers(url, 2_000);

/**
 * The broker the tests use: AMQP_URL when set; else a RabbitMQ container when a Docker engine
 * answers; else the local broker on 127.0.0.1:5672. Fails with one sentence when none is reachable.
 */
export async function acquireBroker(): Promise<BrokerFixture> {
  if (process.env.AMQP_URL) {
    const url = process.env.AMQP_URL;
    if (!(await reachable(url))) throw new Error(`No RabbitMQ broker answers at AMQP_URL (${new URL(url).host}).`);
    return { url, source: 'AMQP_URL', stop: async () => {} };
  }
  const docker = await import('testcontainers')
    .then(async ({ getContainerRuntimeClient }) => {
      await getContainerRuntimeClient();
      return true;
    })
    .catch(() => false);
  if (docker) {
    const { RabbitMQContainer } = await import('@testcontainers/rabbitmq');
    const container = await new RabbitMQContainer('rabbitmq:3.13-alpine').start();
    const url = container.getAmqpUrl().replace('amqp://', 'amqp://guest:guest@');
    return { url, source: 'testcontainers', stop: async () => void (await container.stop()) };
  }
  if (await reachable(LOCAL_URL)) return { url: LOCAL_URL, source: 'local', stop: async () => {} };
  throw new Error(
    'No RabbitMQ broker for the tests: set AMQP_URL, or start Docker, or run RabbitMQ on 127.0.0.1:5672 (`rabbitmq-server -detached`).',
  );
}
