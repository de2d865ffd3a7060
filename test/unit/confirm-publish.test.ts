import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ConfirmChannel } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { publishFields, publishWithConfirm } from '../../src/actors/broker/confirm-publish.ts';
import type { OutboundMessage } from '../../src/actors/broker/messages.ts';

// amqplib's own argument builder and frame encoder (not exported by its package.json, so by path).
const require = createRequire(import.meta.url);
const lib = join(dirname(require.resolve('amqplib')), 'lib');
const Args = require(join(lib, 'api_args.js')) as { publish(exchange: string, routingKey: string, options: object): object };
const defs = require(join(lib, 'defs.js')) as {
  BasicPublish: number;
  BasicProperties: number;
  encodeMethod(id: number, channel: number, fields: object): Buffer;
  encodeProperties(id: number, channel: number, size: number, fields: object): Buffer;
};

/** The frames amqplib writes for a publish with these fields: method, then content header. */
const frames = (fields: object, size: number) => Buffer.concat([defs.encodeMethod(defs.BasicPublish, 1, fields), defs.encodeProperties(defs.BasicProperties, 1, size, fields)]);

const message = (properties: OutboundMessage['properties'], mandatory = true): OutboundMessage => ({
  id: 'relay-1.abc',
  channel: 'ai',
  exchange: '',
  routingKey: 'ai.requests',
  content: Buffer.from('{"recipe_text":"soup"}'),
  mandatory,
  properties,
});

const full = {
  correlationId: 'relay-1.abc',
  messageId: 'relay-1.abc',
  replyTo: 'amqp-relay.reply.relay-1',
  contentType: 'application/json',
  type: 'recipe_analysis',
  appId: 'amqp-relay',
  timestamp: 1_764_400_000,
  deliveryMode: 2 as const,
  headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'x-forwarded-type': null, count: 3 },
};

describe('publishFields', () => {
  const cases: [string, OutboundMessage, string | undefined][] = [
    ['every property, headers and an expiration', message(full), '99500'],
    ['empty headers, no expiration', message({ ...full, headers: {} }), undefined],
    ['no headers at all, not mandatory', message({ correlationId: 'relay-1.abc', deliveryMode: 2 }, false), '10'],
  ];

  for (const [name, m, expiration] of cases) {
    it(`encodes to the same frames as amqplib's publish: ${name}`, () => {
      const options = { ...m.properties, mandatory: m.mandatory, ...(expiration ? { expiration } : {}) };
      const expected = frames(Args.publish(m.exchange, m.routingKey, options), m.content.length);
      expect(frames(publishFields(m, expiration), m.content.length).equals(expected)).toBe(true);
    });
  }

  it('uses the message headers object itself, not a copy or an object that inherits from it', () => {
    const m = message(full);
    expect(publishFields(m, undefined).headers).toBe(full.headers);
  });
});

describe('publishWithConfirm', () => {
  it("sends through amqplib's two steps, the confirm callback queued after the message", () => {
    const calls: string[] = [];
    const onConfirm = () => {};
    const channel = {
      sendMessage: (fields: { routingKey: string }) => (calls.push(`send ${fields.routingKey}`), false),
      pushConfirmCallback: (cb: unknown) => void calls.push(cb === onConfirm ? 'confirm callback' : 'another callback'),
      publish: () => (calls.push('publish'), true),
    };
    expect(publishWithConfirm(channel as unknown as ConfirmChannel, message(full), '100', onConfirm)).toBe(false);
    expect(calls).toEqual(['send ai.requests', 'confirm callback']);
  });

  it('queues no confirm callback when amqplib refuses the message', () => {
    const calls: string[] = [];
    const channel = {
      sendMessage: () => {
        throw new TypeError('header value cannot be encoded');
      },
      pushConfirmCallback: () => void calls.push('confirm callback'),
    };
    expect(() => publishWithConfirm(channel as unknown as ConfirmChannel, message(full), undefined, () => {})).toThrow('cannot be encoded');
    expect(calls).toEqual([]);
  });

  it('falls back to publish, with the same options, on an amqplib without those steps', () => {
    const published: unknown[][] = [];
    const channel = { publish: (...args: unknown[]) => (published.push(args), true) };
    const onConfirm = () => {};
    const m = message(full);
    expect(publishWithConfirm(channel as unknown as ConfirmChannel, m, '250', onConfirm)).toBe(true);
    expect(published).toEqual([['', 'ai.requests', m.content, { ...full, mandatory: true, expiration: '250' }, onConfirm]]);
  });
});
