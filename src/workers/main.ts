import { loadConfigOrExit, whenParentExits } from '../process-lifecycle.ts';
import { createLogger, flushLogsBeforeExit } from '../log.ts';
import { requestQueue } from '../actors/topology.ts';
import { aiHandler } from './ai.ts';
import { crawlingHandler } from './crawler.ts';
import { startWorker } from './runtime.ts';

/** The reference crawling and AI workers, configured by the relay's own environment variables. */
function main(): void {
  const config = loadConfigOrExit('amqp-relay workers');
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty, service: 'amqp-relay-workers' });
  const queue = (name: string) => requestQueue(name, config);
  const aiQueues = [...new Set([config.queues.recipe, config.queues.image])].map(queue);
  const connection = { urls: config.amqp.urls, heartbeatSeconds: config.amqp.heartbeatSeconds, ...(config.amqp.tls ? { tls: config.amqp.tls } : {}) };
  const workers = [
    startWorker({
      name: 'crawling-worker',
      ...connection,
      queues: [queue(config.queues.crawlRequest)],
      handle: crawlingHandler({ timeoutMs: Math.min(config.timeouts.crawlMs, 15_000), maxBytes: 2 * 1024 * 1024, allowPrivate: config.crawler.allowPrivate }),
      logger,
    }),
    startWorker({ name: 'ai-worker', ...connection, queues: aiQueues, handle: aiHandler, logger, prefetch: 64 }),
  ];
  logger.info({ crawl: config.queues.crawlRequest, ai: aiQueues.map((q) => q.name) }, 'reference workers started');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      flushLogsBeforeExit(logger);
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'workers stopping');
    void Promise.all(workers.map((w) => w.stop())).then(() => {
      flushLogsBeforeExit(logger);
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  whenParentExits(() => stop('parent exited'));
}

main();
