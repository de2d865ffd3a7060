import { type Config, replyQueueName } from '../../config/load-config.ts';
import type { RequestErrorCode } from '../../errors.ts';
import type { JsonText } from '../../requests/json-text.ts';
import { LOOKUP_TYPE, lookupBody, parseLookupAnswer } from '../../requests/lookup.ts';
import type { Logger } from '../../log.ts';
import type { OutboundMessage } from '../broker/messages.ts';
import { channelOf } from '../topology.ts';
import type { RequestOutcome } from './outcome.ts';

/** What asking the owner of an async result gave: its state (as JSON), nothing to show (404), or a failure of this instance. */
export type LookupResult =
  | { readonly kind: 'found'; readonly json: JsonText }
  | { readonly kind: 'notFound'; readonly reason: LookupMiss }
  | { readonly kind: 'failed'; readonly code: RequestErrorCode; readonly message: string };

/**
 * Why there is nothing to show: the id names no instance, or this one (nobody else to ask), the
 * owner does not know it, its reply queue is gone (the lookup came back unroutable), nobody
 * answered in time (the queue exists, nobody consumes it), or what came back was no answer.
 */
type LookupMiss = 'notAnInstance' | 'ownId' | 'unknown' | 'ownerGone' | 'noAnswer' | 'badAnswer';

/** The lookup message: to the owner's reply queue, mandatory (a missing queue comes back at once), answered to ours. */
export function lookupMessage(config: Config, lookupId: string, owner: string, lookedUp: string, deadlineAt: number): OutboundMessage {
  return {
    id: lookupId,
    // The channel that consumes the reply queues and forwards to them.
    channel: channelOf('ai'),
    exchange: '',
    routingKey: replyQueueName(owner),
    content: lookupBody(lookedUp),
    mandatory: true,
    deadlineAt,
    properties: {
      correlationId: lookupId,
      messageId: lookupId,
      replyTo: config.queues.reply,
      contentType: 'application/json',
      type: LOOKUP_TYPE,
      appId: 'amqp-relay',
      timestamp: Math.floor(Date.now() / 1000),
      deliveryMode: 1,
    },
  };
}

/** The lookup actor's outcome as what the client sees. */
export function lookupResultOf(outcome: RequestOutcome, logger: Logger): LookupResult {
  if (outcome.ok) {
    const answer = parseLookupAnswer(outcome.reply);
    if (answer === undefined) {
      logger.warn('a lookup was answered with something that is not a lookup answer');
      return { kind: 'notFound', reason: 'badAnswer' };
    }
    return answer.status === 'unknown' ? { kind: 'notFound', reason: 'unknown' } : { kind: 'found', json: answer.json };
  }
  switch (outcome.code) {
    case 'NO_ROUTE':
      return { kind: 'notFound', reason: 'ownerGone' };
    case 'TIMEOUT':
      return { kind: 'notFound', reason: 'noAnswer' };
    case 'BAD_REPLY':
    case 'WORKER_ERROR':
      logger.warn({ code: outcome.code }, 'a lookup was answered with something that is not a lookup answer');
      return { kind: 'notFound', reason: 'badAnswer' };
    default:
      return { kind: 'failed', code: outcome.code, message: outcome.message };
  }
}
