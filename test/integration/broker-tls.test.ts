import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestQueue } from '../../src/actors/topology.ts';
import { startWorker } from '../../src/workers/runtime.ts';
import { generateCertificates, type TestCertificates } from '../support/certificates.ts';
import { type PrivateBroker, startPrivateBroker } from '../support/private-broker.ts';
import { type RunningRelay, postJson, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';

/**
 * A private node (never the shared one) with a TLS listener that requires a client certificate,
 * and certificates generated here: a CA, a server certificate for DNS:localhost only, a client
 * certificate, and a second CA that signed nothing.
 */
const PLAIN_PORT = 5694;
const TLS_PORT = 5695;
const USER = 'relay';
const PASSWORD = `tls-${randomBytes(8).toString('hex')}`;

describe('TLS to the broker', () => {
  let certs: TestCertificates;
  let broker: PrivateBroker | undefined;
  const stops: (() => Promise<void>)[] = [];
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

  const tlsEnv = (overrides: Record<string, string> = {}) => ({
    ...uniqueQueues('tls'),
    RABBITMQ_CA_FILE: certs.ca,
    RABBITMQ_CERT_FILE: certs.clientCert,
    RABBITMQ_KEY_FILE: certs.clientKey,
    ...overrides,
  });

  const relayOn = async (url: string, env: Record<string, string>, waitForBroker = true): Promise<RunningRelay> => {
    const relay = await startRelay({ amqpUrl: url, env, waitForBroker });
    stops.push(() => relay.stop());
    return relay;
  };

  /** /readyz once the relay has failed at least one connection attempt. */
  const refusedReadiness = async (relay: RunningRelay) => {
    await waitFor(() => relay.relay.readiness().reason?.includes(`:${TLS_PORT}:`) ?? false, 10_000, 'a failed connection attempt');
    const res = await fetch(`${relay.baseUrl}/readyz`);
    return { status: res.status, body: (await res.json()) as { status: string; broker: string; reason: string } };
  };

  const expectNoSecret = async (reason: string) => {
    expect(reason).not.toContain(PASSWORD);
    expect(reason).not.toContain('PRIVATE KEY');
    expect(reason).not.toContain((await readFile(certs.clientKey, 'utf8')).split('\n')[1]);
  };

  beforeAll(async () => {
    certs = await generateCertificates();
    broker = await startPrivateBroker({
      name: 'tls',
      port: PLAIN_PORT,
      tls: { port: TLS_PORT, ca: certs.ca, cert: certs.serverCert, key: certs.serverKey },
    });
    await broker.ctl('add_user', USER, PASSWORD);
    await broker.ctl('set_permissions', '-p', '/', USER, '.*', '.*', '.*');
  });

  afterAll(async () => {
    await Promise.allSettled(stops.map((stop) => stop()));
    try {
      await broker?.stop();
    } finally {
      await certs?.remove();
    }
  });

  it('answers a request end to end over amqps:// with the CA, a client certificate and its key', async () => {
    const url = `amqps://${USER}:${PASSWORD}@localhost:${TLS_PORT}`;
    const relay = await relayOn(url, tlsEnv());
    const { config } = relay;
    const worker = startWorker({
      name: 'tls-worker',
      urls: config.amqp.urls,
      ...(config.amqp.tls ? { tls: config.amqp.tls } : {}),
      queues: [requestQueue(config.queues.recipe, config)],
      handle: ({ body }) => Promise.resolve({ reply: { over: 'tls', got: body } }),
      logger,
    });
    stops.push(() => worker.stop());

    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'two eggs' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ over: 'tls', got: { type: 'recipe_analysis', recipe_text: 'two eggs' } });

    // Both the relay and the worker are on the TLS listener, with the client certificate.
    const connections = await broker!.ctl('list_connections', '--no-table-headers', 'ssl', 'peer_cert_subject', 'client_properties');
    const ours = connections.split('\n').filter((line) => line.includes(config.instanceId) || line.includes('tls-worker'));
    expect(ours).toHaveLength(2);
    for (const line of ours) expect(line).toMatch(/^true\s+CN=amqp-relay-client/);
  });

  it('refuses a broker whose certificate the configured CA did not sign, and says why on /readyz', async () => {
    const relay = await relayOn(`amqps://${USER}:${PASSWORD}@localhost:${TLS_PORT}`, tlsEnv({ RABBITMQ_CA_FILE: certs.otherCa }), false);
    const { status, body } = await refusedReadiness(relay);
    expect(status).toBe(503);
    expect(body).toEqual({ status: 'not_ready', broker: expect.not.stringMatching(/^connected$/), reason: expect.stringMatching(/certificate/) });
    await expectNoSecret(body.reason);
  });

  it('refuses a broker whose certificate does not name the host in the URL', async () => {
    // The server certificate names DNS:localhost only; 127.0.0.1 reaches the same listener.
    const relay = await relayOn(`amqps://${USER}:${PASSWORD}@127.0.0.1:${TLS_PORT}`, tlsEnv(), false);
    const { status, body } = await refusedReadiness(relay);
    expect(status).toBe(503);
    expect(body.status).toBe('not_ready');
    expect(body.reason).toMatch(/127\.0\.0\.1 is not in the cert's list/);
    await expectNoSecret(body.reason);
  });

  it('is refused by a broker that requires a client certificate when none is configured', async () => {
    const { RABBITMQ_CERT_FILE: _cert, RABBITMQ_KEY_FILE: _key, ...caOnly } = tlsEnv();
    const relay = await relayOn(`amqps://${USER}:${PASSWORD}@localhost:${TLS_PORT}`, caOnly, false);
    const { status, body } = await refusedReadiness(relay);
    expect(status).toBe(503);
    expect(body.reason).toMatch(/certificate required/);
    await expectNoSecret(body.reason);
  });
});
