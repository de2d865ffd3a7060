import { RelayError, RETRY_AFTER_SECONDS } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { RelayContext } from '../context.ts';

interface HttpLikeError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  message?: string;
  type?: string;
}

/** Koa and Node errors that are the client's fault, mapped to the contract's codes. */
function fromHttpError(err: HttpLikeError): RelayError | undefined {
  const status = err.status ?? err.statusCode;
  if (status === 413 || err.type === 'entity.too.large') return new RelayError('PAYLOAD_TOO_LARGE', 'the body is too large');
  if (status === 415) return new RelayError('UNSUPPORTED_MEDIA_TYPE', 'the body must be JSON');
  if (status === 404) return new RelayError('NOT_FOUND', 'no such route');
  if (status === 405 || status === 501) return new RelayError('METHOD_NOT_ALLOWED', 'method not allowed');
  if (status !== undefined && status >= 400 && status < 500) return new RelayError('INVALID_REQUEST', err.expose && err.message ? err.message : 'invalid request');
  return undefined;
}

/**
 * The one place where failures become HTTP: every error is the contract's JSON, never a stack
 * trace or an HTML page. Unknown errors are logged and answered as 500 INTERNAL.
 */
export function renderError(ctx: RelayContext, caught: unknown, logger: Logger): void {
  const err = caught instanceof RelayError ? caught : fromHttpError(caught as HttpLikeError);
  const relayError = err ?? new RelayError('INTERNAL', 'internal error');
  if (!err) logger.error({ err: caught, correlationId: ctx.state.correlationId }, 'unhandled error');
  ctx.state.errorCode = relayError.code;
  ctx.status = relayError.status;
  ctx.set(relayError.headers);
  const retryAfter = RETRY_AFTER_SECONDS[relayError.code];
  if (retryAfter !== undefined && !ctx.response.get('Retry-After')) ctx.set('Retry-After', String(retryAfter));
  ctx.body = { error: { code: relayError.code, message: relayError.message, correlationId: ctx.state.correlationId } };
}
