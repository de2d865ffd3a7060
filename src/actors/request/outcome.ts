import type { RequestErrorCode } from '../../errors.ts';
import type { JsonText } from '../../requests/json-text.ts';
import type { Delivery } from '../broker/messages.ts';

/** How a request actor ends: never by throwing. A reply is the worker's JSON text, as it sent it. */
export type RequestOutcome =
  | { readonly ok: true; readonly reply: JsonText }
  | { readonly ok: false; readonly code: RequestErrorCode; readonly message: string };

/** `x-status: error`, as a string or (from some clients) as bytes. */
function isErrorStatus(status: unknown): boolean {
  return status === 'error' || (Buffer.isBuffer(status) && status.toString('utf8') === 'error');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A worker's error message reaches the client cut to this length. */
const MAX_WORKER_MESSAGE_CHARS = 1_000;

/** A worker's reply as the client will see it: its JSON, or a WORKER_ERROR / BAD_REPLY. */
export function decodeReply(delivery: Delivery): RequestOutcome {
  let text: string;
  let body: unknown;
  try {
    text = utf8.decode(delivery.content);
    body = JSON.parse(text);
  } catch {
    return { ok: false, code: 'BAD_REPLY', message: 'the worker replied with something that is not UTF-8 JSON' };
  }
  if (isErrorStatus(delivery.headers['x-status'])) {
    const message = typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
      ? (body as { message: string }).message
      : 'the worker reported an error';
    return { ok: false, code: 'WORKER_ERROR', message: message.slice(0, MAX_WORKER_MESSAGE_CHARS) };
  }
  // Parsed only to check it is JSON: the client gets the worker's text.
  return { ok: true, reply: text as JsonText };
}
