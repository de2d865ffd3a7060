import { copyFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postJson, type RunningRelay, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';
import { launchChromium } from './support/browser.ts';
import { closeConnectionNamed } from './support/rabbitmqctl.ts';

const ARTIFACTS = 'test-artifacts';

/** Text of an element, or '' when it is not there (string form: the Node tsconfig has no DOM lib). */
/** A request the test awaits later; if a test fails first, its rejection at teardown is not an unhandled error. */
function pending<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

const textOf = (page: Page, selector: string) => page.$eval(selector, (el) => el.textContent ?? '').catch(() => '');

describe('the live actor page in a real browser', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('e2e-inspector');
  const instanceId = `e2e-${randomBytes(4).toString('hex')}`;
  let relay: RunningRelay;
  let worker: ScriptedWorker;
  let browser: Browser;
  let page: Page;

  /** The worker holds every request until the test answers it, like a slow service. */
  const answer = async (index: number, body: unknown) => {
    const request = worker.received[index]!;
    const connection = await amqp.connect(url);
    try {
      // A confirm channel: closing a plain one right after sendToQueue can lose the message.
      const channel = await connection.createConfirmChannel();
      channel.sendToQueue(request.properties.replyTo, Buffer.from(JSON.stringify(body)), { correlationId: request.properties.correlationId });
      await channel.waitForConfirms();
    } finally {
      await connection.close().catch(() => {});
    }
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    relay = await startRelay({
      amqpUrl: url,
      // A slow first retry keeps `reconnecting` on screen long enough to see.
      env: { ...queues, AI_TIMEOUT_MS: '20000', XSTATE_INSPECT: 'live', RELAY_INSTANCE_ID: instanceId, RECONNECT_BASE_MS: '1500', RECONNECT_MAX_MS: '3000' },
    });
    worker = await startScriptedWorker(url, queues.AI_QUEUE_NAME!, () => ({ kind: 'silent' }));
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1100, height: 640 } })).newPage();
    await page.goto(`${relay.baseUrl}/debug/inspector`);
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it('shows the broker connected, with its transitions', async () => {
    await page.waitForFunction("document.getElementById('broker').dataset.state === 'connected'", undefined, { timeout: 10_000 });
    expect(await textOf(page, '#reconnects')).toBe('0');
    const states = await page.$$eval('#history tr td:nth-child(2)', (cells) => cells.map((c) => c.textContent));
    expect(states.slice(0, 2)).toEqual(['connected', 'connecting']);
  });

  it('shows a request while it is in flight, then counts its outcome', async () => {
    const response = pending(postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'slow soup' }));
    await waitFor(() => worker.received.length === 1, 10_000, 'the worker to receive the request');
    const correlationId = worker.received[0]!.properties.correlationId as string;
    const row = `#requests tr[data-correlation-id="${correlationId}"]`;
    // Shown from the next summary; the broker's confirm may still be on its way when the worker has the message.
    await page.waitForSelector(`${row} td:nth-child(3):text("awaitingReply")`, { timeout: 10_000 });
    const cells = await page.$$eval(`${row} td`, (tds) => tds.map((td) => td.textContent));
    expect(cells.slice(0, 3)).toEqual(['recipe_analysis', correlationId, 'awaitingReply']);
    await page.screenshot({ path: `${ARTIFACTS}/inspector-in-flight.png` });

    await answer(0, { ingredients: ['water'] });
    expect((await response).status).toBe(200);
    await page.waitForSelector(row, { state: 'detached', timeout: 10_000 });
    await page.waitForSelector('#outcomes tr[data-outcome="ok"]', { timeout: 10_000 });
    expect(await textOf(page, '#outcomes tr[data-outcome="ok"] td:nth-child(3)')).toBe('1');
  });

  it('shows the broker reconnecting after its connection is closed, and a request surviving it', async () => {
    const response = pending(postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'soup across a reconnect' }));
    await waitFor(() => worker.received.length === 2, 10_000, 'the worker to receive the second request');
    await page.waitForSelector('#requests tr.request', { timeout: 10_000 });

    expect(await closeConnectionNamed(`amqp-relay ${instanceId}`, 'e2e: inspector shows a reconnect')).toBe(1);
    await page.waitForSelector('#history tr.transition.reconnecting', { timeout: 10_000 });
    await page.screenshot({ path: `${ARTIFACTS}/inspector-reconnect.png` });
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(`${ARTIFACTS}/inspector-reconnect.png`, 'docs/inspector-reconnect.png');

    await page.waitForFunction(
      "document.getElementById('broker').dataset.state === 'connected' && document.getElementById('reconnects').textContent === '1'",
      undefined,
      { timeout: 15_000 },
    );
    const reasons = await page.$$eval('#history tr.transition.reconnecting td:nth-child(4)', (cells) => cells.map((c) => c.textContent));
    expect(reasons[0]).toMatch(/e2e: inspector shows a reconnect|CONNECTION_FORCED|closed/i);

    await answer(1, { ingredients: ['stock'] });
    const answered = await response;
    expect(answered.status).toBe(200);
    expect(answered.json).toEqual({ ingredients: ['stock'] });
    await page.screenshot({ path: `${ARTIFACTS}/inspector-after-reconnect.png` });
  });
});
