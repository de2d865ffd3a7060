import { TextDecoder } from 'node:util';
import type { Context } from 'koa';
import { RelayError } from '../errors.ts';

/** True for application/json and any *\/*+json type, whatever its parameters. */
export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const type = header.split(';', 1)[0]!.trim();
  return /^application\/json$/i.test(type) || /^[\w.+-]+\/[\w.+-]+\+json$/i.test(type);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body's decoder: its declared charset (UTF-8 when none), strict, so broken bytes are refused, not replaced. */
function decoderFor(contentType: string): TextDecoder {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType)?.[1];
  if (charset === undefined || /^utf-?8$/i.test(charset)) return utf8;
  try {
    return new TextDecoder(charset, { fatal: true });
  } catch {
    throw new RelayError('UNSUPPORTED_MEDIA_TYPE', `charset ${charset} is not supported; send UTF-8`);
  }
}

/** Deeper JSON than this is refused: a worker's parser may not take it (Python's stops near 1,000 levels). */
export const MAX_JSON_DEPTH = 64;

/** True when `value` nests more than `limit` arrays and objects inside each other (counted without recursion). */
function depthExceeds(value: unknown, limit: number): boolean {
  let level: unknown[] = [value];
  for (let depth = 1; ; depth += 1) {
    const next: unknown[] = [];
    let containers = false;
    for (const item of level) {
      if (typeof item !== 'object' || item === null) continue;
      containers = true;
      for (const child of Array.isArray(item) ? item : Object.values(item)) next.push(child);
    }
    if (!containers) return false;
    if (depth > limit) return true;
    level = next;
  }
}

/** How many `[` and `{` the text has: fewer than the depth limit cannot nest past it. */
function openingBrackets(text: string): number {
  let count = 0;
  for (let i = text.indexOf('{'); i !== -1 && count <= MAX_JSON_DEPTH; i = text.indexOf('{', i + 1)) count++;
  for (let i = text.indexOf('['); i !== -1 && count <= MAX_JSON_DEPTH; i = text.indexOf('[', i + 1)) count++;
  return count;
}

/** The whole body, refused as soon as it passes `limit` (never buffered in full), with plain stream listeners. */
function readAll(ctx: Context, limit: number): Promise<Buffer> {
  const req = ctx.req;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onClose);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        ctx.set('Connection', 'close');
        req.resume();
        reject(new RelayError('PAYLOAD_TOO_LARGE', `the body is larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    // The client went away mid-body: its fault, not an internal error.
    const onClose = () => {
      cleanup();
      reject(new RelayError('INVALID_REQUEST', 'the connection closed before the body was complete'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onClose);
    req.on('close', onClose);
  });
}

/** A JSON body: its parsed value, and its text as UTF-8 bytes, exactly as the client wrote it. */
export interface JsonBody {
  readonly value: unknown;
  readonly json: Buffer;
}

/** UTF-8's byte-order mark, which the decoder drops from the text (and the worker gets no more than the text). */
function startsWithByteOrderMark(bytes: Buffer): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/**
 * Reads a JSON body of at most `limit` bytes. A body over the limit is refused as soon as its
 * declared length or the bytes read so far exceed it: it is never buffered in full.
 */
export async function readJsonBody(ctx: Context, limit: number, options: { optional?: boolean } = {}): Promise<JsonBody | undefined> {
  const declared = ctx.get('content-length');
  const hasBody = (declared !== '' && declared !== '0') || ctx.get('transfer-encoding') !== '';
  if (!hasBody) {
    if (options.optional) return undefined;
    throw new RelayError('INVALID_REQUEST', 'the request body is empty; send a JSON object');
  }
  if (!isJsonContentType(ctx.get('content-type'))) {
    throw new RelayError('UNSUPPORTED_MEDIA_TYPE', 'the body must be JSON (Content-Type: application/json)');
  }
  const encoding = ctx.get('content-encoding').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    throw new RelayError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${encoding} is not supported; send the body uncompressed`);
  }
  const decoder = decoderFor(ctx.get('content-type'));
  if (declared !== '' && Number(declared) > limit) {
    ctx.set('Connection', 'close');
    throw new RelayError('PAYLOAD_TOO_LARGE', `the body is larger than ${limit} bytes`);
  }
  const bytes = await readAll(ctx, limit);
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new RelayError('INVALID_REQUEST', `the body is not valid ${decoder.encoding} text`);
  }
  if (text.trim() === '') {
    if (options.optional) return undefined;
    throw new RelayError('INVALID_REQUEST', 'the request body is empty; send a JSON object');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RelayError('INVALID_REQUEST', 'the body is not valid JSON');
  }
  if (openingBrackets(text) > MAX_JSON_DEPTH && depthExceeds(value, MAX_JSON_DEPTH)) {
    throw new RelayError('INVALID_REQUEST', `the body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  // The bytes as they came, when they are UTF-8 already: the decoder has checked them.
  if (decoder !== utf8) return { value, json: Buffer.from(text) };
  return { value, json: startsWithByteOrderMark(bytes) ? bytes.subarray(3) : bytes };
}
