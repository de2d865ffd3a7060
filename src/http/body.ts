import type { Context } from 'koa';
import { RelayError } from '../errors.ts';

/** True for application/json and any *\/*+json type, whatever its parameters. */
export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const type = header.split(';', 1)[0]!.trim();
  return /^application\/json$/i.test(type) || /^[\w.+-]+\/[\w.+-]+\+json$/i.test(type);
}

/**
 * Reads a JSON body of at most `limit` bytes. A body over the limit is refused as soon as its
 * declared length or the bytes read so far exceed it: it is never buffered in full.
 */
export async function readJsonBody(ctx: Context, limit: number, options: { optional?: boolean } = {}): Promise<unknown> {
  const declared = ctx.get('content-length');
  const hasBody = (declared !== '' && declared !== '0') || ctx.get('transfer-encoding') !== '';
  if (!hasBody) {
    if (options.optional) return undefined;
    throw new RelayError('INVALID_REQUEST', 'the request body is empty; send a JSON object');
  }
  if (!isJsonContentType(ctx.get('content-type'))) {
    throw new RelayError('UNSUPPORTED_MEDIA_TYPE', 'the body must be JSON (Content-Type: application/json)');
  }
  if (declared !== '' && Number(declared) > limit) {
    ctx.set('Connection', 'close');
    throw new RelayError('PAYLOAD_TOO_LARGE', `the body is larger than ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      ctx.set('Connection', 'close');
      ctx.req.unpipe();
      ctx.req.resume();
      throw new RelayError('PAYLOAD_TOO_LARGE', `the body is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks, size).toString('utf8');
  if (text.trim() === '') {
    if (options.optional) return undefined;
    throw new RelayError('INVALID_REQUEST', 'the request body is empty; send a JSON object');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new RelayError('INVALID_REQUEST', 'the body is not valid JSON');
  }
}
