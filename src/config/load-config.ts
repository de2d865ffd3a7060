import { randomBytes } from 'node:crypto';
import type * as z from 'zod/mini';
import { DEFAULTS, envSchema, type logLevel } from './env-schema.ts';
import { readFileBacked } from './secret-files.ts';
import { type TlsMaterial, readTlsFiles } from './tls-files.ts';

export { DEFAULTS } from './env-schema.ts';

export interface Config {
  readonly instanceId: string;
  readonly amqp: {
    readonly urls: readonly string[];
    readonly heartbeatSeconds: number;
    readonly declareQueues: boolean;
    readonly queueType: 'classic' | 'quorum';
    readonly reconnect: { readonly baseMs: number; readonly maxMs: number };
    readonly replyQueueExpiresMs: number;
    readonly maxBufferedRequests: number;
    /** RABBITMQ_CA_FILE, RABBITMQ_CERT_FILE, RABBITMQ_KEY_FILE: for amqps:// URLs (undefined: Node's default CAs, no client certificate). */
    readonly tls: TlsMaterial | undefined;
  };
  readonly queues: {
    readonly crawlRequest: string;
    readonly crawlResponse: string;
    readonly recipe: string;
    readonly image: string;
    readonly reply: string;
  };
  readonly timeouts: { readonly aiMs: number; readonly crawlMs: number };
  /** Accepted, unfinished requests: beyond either bound, 503 OVERLOADED. */
  readonly admission: { readonly maxInFlightRequests: number; readonly maxInFlightBytes: number };
  readonly resultTtlMs: number;
  /** Finished async results kept at most; the oldest finished one is forgotten first. */
  readonly resultStoreMax: number;
  readonly http: {
    readonly port: number;
    readonly host: string;
    readonly maxBodyBytes: number;
    /** A connection that has not sent a request's complete headers in this time is closed. */
    readonly headersTimeoutMs: number;
    /** A connection that has not sent a complete request (headers and body) in this time is closed. */
    readonly requestTimeoutMs: number;
    readonly apiTokens: readonly string[];
    /** false: /metrics answers 404. */
    readonly exposeMetrics: boolean;
    /** false: /debug/* answers 404. */
    readonly exposeDebug: boolean;
  };
  readonly shutdownTimeoutMs: number;
  /** After SIGTERM, how long the relay keeps serving normally with /readyz already 503. */
  readonly shutdownDelayMs: number;
  /** The reference crawler: true lets it fetch loopback, private, link-local and metadata addresses. */
  readonly crawler: { readonly allowPrivate: boolean };
  readonly log: { readonly level: z.infer<typeof logLevel>; readonly pretty: boolean };
  readonly inspect: string;
  /** XSTATE_INSPECT_BODIES: a ws:// inspector also gets request and reply bodies (otherwise markers). */
  readonly inspectBodies: boolean;
  /** OTEL_ENABLED: one OpenTelemetry span per request (through the globally registered TracerProvider). */
  readonly telemetry: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const fromFiles = readFileBacked(env);
  const present: Record<string, string | undefined> = {
    ...Object.fromEntries(
      Object.keys(envSchema.shape)
        .filter((key) => env[key] !== undefined && env[key] !== '')
        .map((key) => [key, env[key]]),
    ),
    ...fromFiles.values,
  };
  const parsed = envSchema.safeParse(present);
  const tlsFiles = readTlsFiles(env, parsed.data?.RABBITMQ_URL);
  const problems = [
    ...fromFiles.problems,
    ...(parsed.error?.issues ?? []).map((issue) => {
      const key = String(issue.path[0]);
      // A value read from a file is a secret: name the file's variable, never show its contents.
      if (key in fromFiles.values) return `${key}_FILE ${issue.message} (contents not shown)`;
      return SECRET_VALUED.has(key) ? `${key} ${issue.message}` : `${key} ${issue.message} (got ${shown(present[key])})`;
    }),
    ...tlsFiles.problems,
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const largestDeadlineMs = Math.max(e.AI_TIMEOUT_MS, e.CRAWL_TIMEOUT_MS);
  const replyQueueExpiresMs = e.REPLY_QUEUE_EXPIRES_MS ?? largestDeadlineMs + DEFAULTS.REPLY_QUEUE_EXPIRY_MARGIN_MS;
  const limits: string[] = [];
  if (replyQueueExpiresMs < largestDeadlineMs) {
    limits.push(
      `REPLY_QUEUE_EXPIRES_MS must not be below the largest deadline (${largestDeadlineMs} ms): replies waiting for a relay that was cut off longer would be lost (got ${replyQueueExpiresMs})`,
    );
  }
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    limits.push(`HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS (${e.HTTP_REQUEST_TIMEOUT_MS}) (got ${e.HTTP_HEADERS_TIMEOUT_MS})`);
  }
  if (limits.length > 0) throw new ConfigError(limits);
  const instanceId = e.RELAY_INSTANCE_ID ?? `relay-${randomBytes(6).toString('hex')}`;
  return Object.freeze({
    instanceId,
    amqp: {
      urls: e.RABBITMQ_URL,
      heartbeatSeconds: e.RABBITMQ_HEARTBEAT_S,
      declareQueues: e.RABBITMQ_DECLARE_QUEUES,
      queueType: e.RABBITMQ_QUEUE_TYPE,
      reconnect: { baseMs: e.RECONNECT_BASE_MS, maxMs: e.RECONNECT_MAX_MS },
      replyQueueExpiresMs,
      maxBufferedRequests: e.MAX_BUFFERED_REQUESTS,
      tls: tlsFiles.tls,
    },
    queues: {
      crawlRequest: e.RABBITMQ_CRAWLING_REQUEST_QUEUE,
      crawlResponse: e.RABBITMQ_CRAWLING_RESPONSE_QUEUE,
      recipe: e.AI_QUEUE_NAME,
      image: e.AI_IMAGE_QUEUE_NAME ?? e.AI_QUEUE_NAME,
      reply: replyQueueName(instanceId),
    },
    timeouts: { aiMs: e.AI_TIMEOUT_MS, crawlMs: e.CRAWL_TIMEOUT_MS },
    admission: { maxInFlightRequests: e.MAX_IN_FLIGHT_REQUESTS, maxInFlightBytes: e.MAX_IN_FLIGHT_BYTES },
    resultTtlMs: e.RESULT_TTL_MS,
    resultStoreMax: e.RESULT_STORE_MAX,
    http: {
      port: e.PORT,
      host: e.HOST,
      maxBodyBytes: e.MAX_BODY_BYTES,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      apiTokens: e.API_TOKENS,
      exposeMetrics: e.METRICS_ENDPOINT,
      exposeDebug: e.DEBUG_ENDPOINTS,
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    shutdownDelayMs: e.SHUTDOWN_DELAY_MS,
    crawler: { allowPrivate: e.CRAWLER_ALLOW_PRIVATE },
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
    inspect: e.XSTATE_INSPECT,
    inspectBodies: e.XSTATE_INSPECT_BODIES,
    telemetry: e.OTEL_ENABLED,
  });
}

/** Variables whose values may hold a secret: their problems are named, their values never shown. */
const SECRET_VALUED = new Set(['RABBITMQ_URL', 'API_TOKENS']);

function shown(value: unknown): string {
  return JSON.stringify(String(value));
}

export function replyQueueName(instanceId: string): string {
  return `amqp-relay.reply.${instanceId}`;
}

/** The URL as it may be logged: host, port and vhost, never the credentials. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = url.username ? '***' : '';
    url.password = url.password ? '***' : '';
    return url.toString();
  } catch {
    return '<unparseable url>';
  }
}
