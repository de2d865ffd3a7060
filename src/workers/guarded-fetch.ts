import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { type AddressClass, classifyAddress } from './address-policy.ts';

/** The crawler was asked for an address inside a network (loopback, private, metadata, …). */
export class RefusedAddressError extends Error {
  constructor(
    readonly host: string,
    readonly addressClass: AddressClass,
  ) {
    super(`${host} is ${article(addressClass)} ${addressClass} address`);
    this.name = 'RefusedAddressError';
  }
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

export interface GuardedResponse {
  readonly url: string;
  readonly response: IncomingMessage;
}

export interface GuardOptions {
  /** CRAWLER_ALLOW_PRIVATE: let requests reach any address. */
  readonly allowPrivate: boolean;
  readonly signal: AbortSignal;
  readonly maxRedirects?: number;
  /** Which addresses may be reached (default: public ones only); ignored with `allowPrivate`. */
  readonly isAllowedAddress?: (address: string) => boolean;
}

type Refusal = (host: string, address: string) => RefusedAddressError | undefined;

function refusalOf(options: GuardOptions): Refusal {
  const allowed = options.isAllowedAddress ?? ((address: string) => classifyAddress(address) === 'public');
  return (host, address) => (allowed(address) ? undefined : new RefusedAddressError(host, classifyAddress(address)));
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * DNS resolution that refuses a name if any of its addresses is not public, and hands the socket
 * exactly the addresses it checked: nothing is resolved again between the check and the connect,
 * so a name cannot rebind to an inside address in between.
 */
function guardedLookup(refusal: Refusal): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      for (const { address } of addresses) {
        const refused = refusal(hostname, address);
        if (refused) return callback(refused, '', 0);
      }
      if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/**
 * GET `url`, following redirects, where every hop (its IP literal, or every address its name
 * resolves to) must be public unless `allowPrivate`. Throws RefusedAddressError otherwise.
 */
export async function guardedGet(url: string, options: GuardOptions): Promise<GuardedResponse> {
  const refusal = options.allowPrivate ? undefined : refusalOf(options);
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:') throw new Error(`unsupported protocol ${current.protocol}`);
    // An IP literal is connected to without a lookup: check it here.
    const host = current.hostname.replace(/^\[|\]$/g, '');
    const refused = refusal && isIP(host) !== 0 ? refusal(host, host) : undefined;
    if (refused) throw refused;
    const response = await get(current, options.signal, refusal);
    const location = response.headers.location;
    if (!REDIRECTS.has(response.statusCode ?? 0) || !location || hop >= (options.maxRedirects ?? 10)) return { url: current.href, response };
    response.resume();
    current = new URL(location, current);
  }
}

function get(url: URL, signal: AbortSignal, refusal: Refusal | undefined): Promise<IncomingMessage> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'GET',
      agent: false,
      signal,
      headers: { 'user-agent': 'amqp-relay-reference-crawler', accept: '*/*' },
      ...(refusal ? { lookup: guardedLookup(refusal) } : {}),
    });
    req.once('response', resolve);
    req.once('error', reject);
    req.end();
  });
}
