import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { inspect } from 'node:util';
import { errorCode } from './secret-files.ts';

/** PEM contents for amqps:// connections, read once at start. */
export interface TlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface TlsFiles {
  readonly tls: TlsMaterial | undefined;
  readonly problems: readonly string[];
}

const TLS_FILES = { ca: 'RABBITMQ_CA_FILE', cert: 'RABBITMQ_CERT_FILE', key: 'RABBITMQ_KEY_FILE' } as const;

/**
 * Reads RABBITMQ_CA_FILE, RABBITMQ_CERT_FILE and RABBITMQ_KEY_FILE, and checks at start what would
 * otherwise fail at every connection attempt: an unreadable file, PEM that is not a certificate or a
 * key, a certificate without its key, or TLS files with no amqps:// URL to use them.
 */
export function readTlsFiles(env: NodeJS.ProcessEnv, urls: readonly string[] | undefined): TlsFiles {
  const problems: string[] = [];
  const material: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  for (const [field, variable] of Object.entries(TLS_FILES) as [keyof TlsMaterial, string][]) {
    const path = env[variable];
    if (path === undefined || path === '') continue;
    try {
      material[field] = readFileSync(path);
    } catch (err) {
      problems.push(`${variable} cannot be read: ${errorCode(err)} (got ${JSON.stringify(path)})`);
    }
  }
  const named = Object.values(TLS_FILES).filter((variable) => env[variable]);
  if (named.length === 0) return { tls: undefined, problems };
  if (Boolean(env.RABBITMQ_CERT_FILE) !== Boolean(env.RABBITMQ_KEY_FILE)) {
    problems.push('RABBITMQ_CERT_FILE and RABBITMQ_KEY_FILE go together: set both or neither');
  }
  if (urls && !urls.some((url) => url.startsWith('amqps:'))) {
    problems.push(`${named.join(', ')} set, but no RABBITMQ_URL is amqps://: the connection would not use TLS`);
  }
  if (problems.length === 0) problems.push(...unusable(material));
  return { tls: problems.length === 0 ? hidden(material) : undefined, problems };
}

/** What OpenSSL refuses (not PEM, a key that does not match its certificate), named by variable. */
function unusable(material: TlsMaterial): string[] {
  const problems: string[] = [];
  const check = (what: string, attempt: () => unknown) => {
    try {
      attempt();
    } catch (err) {
      problems.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  // createSecureContext accepts a CA that is not PEM at all (it then trusts nothing): parse it instead.
  const { ca, cert, key } = material;
  if (ca) check('RABBITMQ_CA_FILE is not a PEM certificate', () => new X509Certificate(ca));
  if (cert && key) check('RABBITMQ_CERT_FILE and RABBITMQ_KEY_FILE are not a matching PEM certificate and unencrypted key', () => createSecureContext({ cert, key }));
  return problems;
}

/** Key material that stays out of logs and dumps even if the whole configuration is logged. */
function hidden(material: TlsMaterial): TlsMaterial {
  const shown = () => `[TLS: ${Object.keys(material).join(', ')}]`;
  return Object.freeze(Object.defineProperties({ ...material }, {
    toJSON: { value: shown, enumerable: false },
    [inspect.custom]: { value: shown, enumerable: false },
  }));
}
