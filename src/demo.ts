import { spawn, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redactUrl } from './config/load-config.ts';
import { type DemoBroker, NOTHING_TO_RUN, planBroker, startContainer, startPrivateNode, systemProbes } from './demo/broker.ts';
import { loadConfigOrExit } from './process-lifecycle.ts';
import { createLogger, flushLogsBeforeExit } from './log.ts';

/**
 * `npm run demo`: the relay and the reference workers, as two processes, against the broker in
 * RABBITMQ_URL (default: the local one). When nothing answers there (and it is on this machine),
 * the demo starts a broker of its own — a private RabbitMQ node, else a container — and stops it
 * after the relay and workers on Ctrl-C.
 */
const self = fileURLToPath(import.meta.url);
// Beside this file, with its extension: dist/*.js when built, src/*.ts under tsx (execArgv carries its loader).
const sibling = (name: string) => fileURLToPath(new URL(`./${name}${extname(self)}`, import.meta.url));
const config = loadConfigOrExit('amqp-relay demo');
const logger = createLogger({ level: config.log.level, pretty: config.log.pretty, service: 'amqp-relay-demo' });

let broker: DemoBroker | undefined;
let children: ChildProcess[] = [];
let exiting = false;
/** Settles once the broker the demo is starting is up (or failed), so that a Ctrl-C meanwhile still stops it. */
let brokerStarting: Promise<unknown> = Promise.resolve();

let startingPlan: string | undefined;

const stopBroker = async () => {
  if (!broker && startingPlan) logger.info({ source: startingPlan }, 'waiting for the demo broker to finish starting, to stop it');
  await brokerStarting.catch(() => {});
  if (!broker || broker.source === 'configured') return;
  logger.info({ source: broker.source }, 'stopping the demo broker');
  await broker.stop().catch((err: unknown) => logger.error({ err }, 'the demo broker did not stop'));
};

const exitAfterChildren = async () => {
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
  await Promise.all(running.map((child) => new Promise((r) => child.once('exit', r))));
  await stopBroker();
  flushLogsBeforeExit(logger);
  process.exit();
};

const stopAll = (signal: NodeJS.Signals) => {
  // Once: npm passes a Ctrl-C on to the demo besides the terminal's own, and a second signal makes
  // the relay exit at once instead of draining.
  if (exiting) return;
  exiting = true;
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  void exitAfterChildren();
};
process.on('SIGINT', () => stopAll('SIGINT'));
process.on('SIGTERM', () => stopAll('SIGTERM'));

/** A broker URL of the demo's own replaces the configured one and the settings that only fit the configured one. */
function childEnv(url: string | undefined): NodeJS.ProcessEnv {
  if (!url) return process.env;
  const { RABBITMQ_URL_FILE: _file, RABBITMQ_CA_FILE: _ca, RABBITMQ_CERT_FILE: _cert, RABBITMQ_KEY_FILE: _key, ...env } = process.env;
  return { ...env, RABBITMQ_URL: url };
}

async function main(): Promise<void> {
  const plan = await planBroker(systemProbes(config.amqp.urls));
  if (plan === 'none') {
    process.stderr.write(`${NOTHING_TO_RUN}\n`);
    process.exit(1);
  }
  if (plan !== 'configured') {
    logger.info({ configured: config.amqp.urls.map(redactUrl), starting: plan }, 'no broker answers at RABBITMQ_URL: starting one for the demo');
  }
  const starting = plan === 'private-node' ? startPrivateNode() : plan === 'container' ? startContainer() : Promise.resolve({ source: 'configured' as const, url: undefined, stop: async () => {} });
  brokerStarting = starting;
  if (plan !== 'configured') startingPlan = plan;
  broker = await starting;
  if (exiting) return; // Ctrl-C during the start: exitAfterChildren stops the broker.
  if (broker.url) logger.info({ source: broker.source, url: redactUrl(broker.url) }, 'demo broker ready');

  const env = childEnv(broker.url);
  children = [sibling('workers/main'), sibling('main')].map((entry) =>
    // Own process groups: a Ctrl-C reaches each child once, through stopAll, not twice.
    spawn(process.execPath, [...process.execArgv, entry], { stdio: 'inherit', env, detached: true }),
  );
  for (const child of children) {
    child.on('exit', (code) => {
      if (!exiting) {
        process.exitCode = code ?? 1;
        stopAll('SIGTERM');
      }
    });
  }
}

main().catch(async (err: unknown) => {
  logger.fatal({ err }, 'the demo could not start');
  process.exitCode = 1;
  exiting = true;
  await stopBroker();
  flushLogsBeforeExit(logger);
  process.exit();
});
