import { createServer } from 'node:http';
import { createInspection } from './actors/inspect.ts';
import { Relay } from './actors/relay.ts';
import { ResultStore } from './actors/results.ts';
import { ConfigError, loadConfig, redactUrl } from './config/index.ts';
import { answerClientError, createApp } from './http/app.ts';
import { createLogger } from './log.ts';
import { RelayMetrics } from './metrics.ts';

/** Composition root: config → logger → actors → HTTP; SIGTERM/SIGINT drain, a second signal exits at once. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`amqp-relay: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.log);
  const inspection = await createInspection(config.inspect, logger.child({ component: 'inspect' }), { telemetry: config.telemetry });
  const metrics = new RelayMetrics();
  const relay = new Relay({ config, logger, metrics, ...(inspection.inspect ? { inspect: inspection.inspect } : {}) }).start();
  metrics.outboxSize = () => relay.outbox;
  const results = new ResultStore(config.resultTtlMs);
  let draining = false;
  const app = createApp({
    relay,
    results,
    metrics,
    logger,
    maxBodyBytes: config.http.maxBodyBytes,
    apiTokens: config.http.apiTokens,
    live: inspection.live,
    isDraining: () => draining,
  });
  const server = createServer(app.callback());
  server.on('clientError', answerClientError(() => relay.newCorrelationId()));
  server.keepAliveTimeout = 65_000;
  server.listen(config.http.port, config.http.host, () => {
    logger.info(
      { port: config.http.port, host: config.http.host, instanceId: config.instanceId, brokers: config.amqp.urls.map(redactUrl) },
      'amqp-relay listening',
    );
  });
  server.on('error', (err) => {
    logger.fatal({ err }, 'HTTP server failed');
    process.exit(1);
  });

  const shutdown = async (signal: string) => {
    if (draining) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    draining = true;
    logger.info({ signal, inFlight: relay.inFlight }, 'shutting down: draining requests in flight');
    server.close();
    server.closeIdleConnections();
    const drained = await relay.drain(config.shutdownTimeoutMs);
    if (!drained) logger.warn({ inFlight: relay.inFlight }, 'shutdown timeout: requests still in flight');
    await relay.stop();
    inspection.stop();
    server.closeAllConnections();
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', (s) => void shutdown(s));
  process.on('SIGINT', (s) => void shutdown(s));
}

void main();
