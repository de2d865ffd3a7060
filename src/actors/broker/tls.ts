import { isIP } from 'node:net';

/** PEM contents read once at start (RABBITMQ_CA_FILE, RABBITMQ_CERT_FILE, RABBITMQ_KEY_FILE). */
export interface TlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface TlsSocketOptions {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly servername?: string;
}

/**
 * What amqplib passes to `tls.connect` for one broker URL. The server certificate is always
 * verified (never `rejectUnauthorized: false`) and must name the URL's host: `servername` is that
 * host for a DNS name; for an IP address Node checks the certificate against the address itself
 * (an IP is not allowed as a TLS server name, RFC 6066). A plain amqp:// URL gets nothing.
 */
export function tlsSocketOptions(url: string, tls: TlsMaterial | undefined): TlsSocketOptions {
  const { protocol, hostname } = new URL(url);
  if (protocol !== 'amqps:') return {};
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    ...(tls?.ca ? { ca: tls.ca } : {}),
    ...(tls?.cert ? { cert: tls.cert } : {}),
    ...(tls?.key ? { key: tls.key } : {}),
    ...(isIP(host) ? {} : { servername: host }),
  };
}
