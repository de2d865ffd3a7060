import { redactUrl } from './config/load-config.ts';
import { setHeapFlags } from './heap-flags.ts';
import { loadConfigOrExit, whenParentExits } from './process-lifecycle.ts';
import { createLogger, flushLogsBeforeExit } from './log.ts';
import { startRelayService } from './service.ts';

/** `npm start`: config → logger → service; SIGTERM/SIGINT drain, a second signal exits at once. */
async function main(): Promise<void> {
  setHeapFlags();
  const config = loadConfigOrExit('amqp-relay');
  const logger = createLogger(config.log);
  const service = await startRelayService(config, logger, { port: config.http.port, host: config.http.host }).catch((err: unknown) => {
    logger.fatal({ err }, 'amqp-relay could not start');
    flushLogsBeforeExit(logger);
    process.exit(1);
  });
  logger.info(
    { port: service.port, host: config.http.host, instanceId: config.instanceId, brokers: config.amqp.urls.map(redactUrl) },
    'amqp-relay listening',
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      // Bounded: without it pino's exit hook retries a full, unread stdout for ever.
      flushLogsBeforeExit(logger);
      process.exit(1);
    }
    stopping = true;
    service.beginShutdown();
    if (config.shutdownDelayMs > 0) {
      logger.info({ signal, delayMs: config.shutdownDelayMs }, 'shutting down: not ready, still serving');
      await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
    }
    logger.info({ signal, inFlight: service.relay.inFlight }, 'shutting down: draining requests in flight');
    await service.drain(config.shutdownTimeoutMs);
    logger.info('stopped');
    flushLogsBeforeExit(logger);
    process.exit(0);
  };
  process.on('SIGTERM', (signal) => void shutdown(signal));
  process.on('SIGINT', (signal) => void shutdown(signal));
  whenParentExits(() => void shutdown('parent exited'));
}

void main();
