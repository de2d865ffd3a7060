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
const TOKEN = `e2e-${randomBytes(8).toString('hex')}`;
const bearer = { authorization: `Bearer ${TOKEN}` };

/** A request the test awaits later; if a test fails first, its rejection at teardown is not an unhandled error. */
function pending<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** Text of an element, or '' when it is not there (string form: the Node tsconfig has no DOM lib). */
const textOf = (page: Page, selector: string) => page.$eval(selector, (el) => el.textContent ?? '').catch(() => '');
const attributeOf = (page: Page, selector: string, name: string) => page.$eval(selector, (el, n) => el.getAttribute(n) ?? '', name).catch(() => '');
const currentState = '#statechart g.state.leaf.current';

/** From now on, every state the statechart marks current (its data-current), in order, in window.markedStates. */
async function recordMarkedStates(page: Page): Promise<void> {
  // Each mutation record holds the value before it; the value after the last one is the current one.
  await page.evaluate(`(() => {
    const chart = document.getElementById('statechart');
    const marked = (window.markedStates = []);
    new MutationObserver((records) => {
      records.slice(1).forEach((r) => marked.push(r.oldValue || ''));
      marked.push(chart.dataset.current || '');
    }).observe(chart, { attributes: true, attributeFilter: ['data-current'], attributeOldValue: true });
  })()`);
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}/${name}`, fullPage: true });
  if (process.env.UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(`${ARTIFACTS}/${name}`, `docs/${name}`);
}

describe('the live page in a real browser, behind a token', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('e2e-inspector');
  const instanceId = `e2e-${randomBytes(4).toString('hex')}`;
  let relay: RunningRelay;
  let worker: ScriptedWorker;
  let browser: Browser;
  let page: Page;

  /** The worker holds requests whose text starts with "slow" until the test answers them, fails those starting with "fail", answers the rest. */
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
  const slowRequests = () => worker.received.filter((m) => m.content.toString().includes('"slow'));

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    relay = await startRelay({
      amqpUrl: url,
      // A slow first retry keeps `reconnecting` on screen long enough to see.
      env: {
        ...queues, AI_TIMEOUT_MS: '20000', XSTATE_INSPECT: 'live', API_TOKENS: TOKEN, RELAY_INSTANCE_ID: instanceId,
        RECONNECT_BASE_MS: '1500', RECONNECT_MAX_MS: '3000',
      },
    });
    worker = await startScriptedWorker(url, queues.AI_QUEUE_NAME!, ({ body }) => {
      const text = String(body?.recipe_text ?? '');
      if (text.startsWith('slow')) return { kind: 'silent' };
      if (text.startsWith('fail')) return { kind: 'error', message: 'the stand-in worker failed' };
      return { kind: 'reply', body: { ingredients: [text] } };
    });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it('serves the page without a token, and refuses its event stream without one', async () => {
    const pageResponse = await fetch(`${relay.baseUrl}/debug/inspector`);
    expect(pageResponse.status).toBe(200);
    expect(await pageResponse.text()).toContain('<svg id="statechart"');
    const stream = await fetch(`${relay.baseUrl}/debug/inspector/events`);
    expect(stream.status).toBe(401);
    await stream.arrayBuffer();
    const wrong = await fetch(`${relay.baseUrl}/debug/inspector/events`, { headers: { authorization: 'Bearer not-the-token' } });
    expect(wrong.status).toBe(401);
    await wrong.arrayBuffer();
  });

  it('asks for a token when opened without one, and follows the stream once one is typed in', async () => {
    await page.goto(`${relay.baseUrl}/debug/inspector`);
    await page.waitForSelector('#conn[data-status="unauthorized"]', { timeout: 10_000 });
    expect(await page.isVisible('#token-form')).toBe(true);
    await page.fill('#token', TOKEN);
    await page.click('#token-form button');
    await page.waitForSelector('#conn[data-status="live"]', { timeout: 10_000 });
    await page.waitForSelector(`${currentState}[data-state="connected"]`, { timeout: 10_000 });
  });

  it('with #token= follows the stream, marks the current state on the statechart, and drops the token from the address bar', async () => {
    // A fresh tab: nothing kept from the one above.
    await page.close();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
    await page.goto(`${relay.baseUrl}/debug/inspector#token=${encodeURIComponent(TOKEN)}`);
    await page.waitForSelector(`${currentState}[data-state="connected"]`, { timeout: 10_000 });
    expect(await attributeOf(page, '#statechart g.state.compound.active[data-state="online"]', 'data-state-id')).toBe('broker.online');
    expect(await textOf(page, '#conn')).toBe('live');
    expect(page.url()).not.toContain(TOKEN);
    expect(await page.isHidden('#token-form')).toBe(true);
    for (const name of ['requests per second by outcome', 'latency p50/p99', 'requests in flight and outbox']) {
      expect(await page.getByRole('img', { name }).count()).toBe(1);
    }
  });

  it('shows a request in flight and, when clicked, its path so far', async () => {
    const response = pending(postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'slow soup' }, bearer));
    await waitFor(() => slowRequests().length === 1, 10_000, 'the worker to receive the request');
    const correlationId = slowRequests()[0]!.properties.correlationId as string;
    const row = `#requests tr[data-correlation-id="${correlationId}"]`;
    // Shown from the next second; the broker's confirm may still be on its way when the worker has the message.
    await page.waitForSelector(`${row} td:nth-child(3):text("awaitingReply")`, { timeout: 10_000 });
    await page.click(row);
    await page.waitForSelector('#detail-path li[data-state="awaitingReply"]', { timeout: 5_000 });
    const steps = await page.$$eval('#detail-path li', (items) => items.map((li) => li.getAttribute('data-state')));
    expect(steps).toEqual(['accepted', 'publishing', 'awaitingReply']);
    expect(await textOf(page, '#detail code')).toBe(correlationId);

    await answer(worker.received.indexOf(slowRequests()[0]!), { ingredients: ['water'] });
    expect((await response).status).toBe(200);
    await page.waitForSelector(row, { state: 'detached', timeout: 10_000 });
  });

  it('marks reconnecting on the statechart while the relay\'s connection is closed, then connected again', async () => {
    const response = pending(postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'slow soup across a reconnect' }, bearer));
    await waitFor(() => slowRequests().length === 2, 10_000, 'the worker to receive the second request');
    await page.waitForSelector('#requests tr.request', { timeout: 10_000 });

    await recordMarkedStates(page);
    expect(await closeConnectionNamed(`amqp-relay ${instanceId}`, 'e2e: inspector shows a reconnect')).toBe(1);
    // The first retry waits a random 0–1.5 s (full jitter): too short a stay can pass between two
    // frames, so the marks are read from the statechart's own record rather than by polling.
    await page.waitForFunction('window.markedStates.some((path) => path.endsWith("reconnecting"))', undefined, { timeout: 10_000 });
    expect(await page.$$eval('#statechart g.state.leaf.current', (els) => els.length)).toBe(1);
    await page.waitForSelector('#timeline rect[data-state="reconnecting"]', { timeout: 5_000 });
    await screenshot(page, 'inspector-reconnect.png');

    await page.waitForSelector(`${currentState}[data-state="connected"]`, { timeout: 15_000 });
    expect(await textOf(page, '#reconnects')).toBe('1');
    const reasons = await page.$$eval('#history tr.transition.reconnecting td:nth-child(4)', (cells) => cells.map((c) => c.textContent));
    expect(reasons[0]).toMatch(/e2e: inspector shows a reconnect|CONNECTION_FORCED|closed/i);

    await answer(worker.received.indexOf(slowRequests()[1]!), { ingredients: ['stock'] });
    const answered = await response;
    expect(answered.status).toBe(200);
    expect(answered.json).toEqual({ ingredients: ['stock'] });
  });

  it('moves the charts under load: requests per second by outcome, latency, in flight', async () => {
    const peakBefore = Number((await attributeOf(page, '#chart-rate', 'data-peak')) || '0');
    // Longer (LOAD_SECONDS) when taking the screenshot for the docs.
    const deadline = Date.now() + 1_000 * Number(process.env.LOAD_SECONDS ?? 8);
    let sent = 0;
    const lanes = Array.from({ length: 8 }, async () => {
      while (Date.now() < deadline) {
        const text = sent++ % 10 === 0 ? 'fail now' : 'soup';
        await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: text }, bearer);
      }
    });
    await Promise.all(lanes);
    await page.waitForFunction(`Number(document.getElementById('chart-rate').dataset.peak) > ${peakBefore}`, undefined, { timeout: 5_000 });
    expect(await page.$$eval('#chart-rate polygon.band', (bands) => bands.map((b) => b.getAttribute('data-outcome')))).toEqual(['ok', 'WORKER_ERROR']);
    expect(await attributeOf(page, '#chart-latency path[data-series="p99"]', 'd')).toMatch(/ L[\d.]+,[\d.]+/);
    expect(Number(await attributeOf(page, '#chart-load', 'data-peak'))).toBeGreaterThan(0);
    await screenshot(page, 'inspector-load.png');
  });
});
