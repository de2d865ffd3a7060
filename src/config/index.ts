import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { readFileBacked } from './secret-files.ts';
import { type TlsMaterial, readTlsFiles } from './tls-files.ts';

/** Every default of the relay, in one place (the contract's configuration table). */
export const DEFAULTS = {
  RABBITMQ_URL: 'amqp://guest:guest@localhost:5672/',
  RABBITMQ_CRAWLING_REQUEST_QUEUE: 'crawling_request_queue',
  RABBITMQ_CRAWLING_RESPONSE_QUEUE: 'crawling_response_queue',
  AI_QUEUE_NAME: 'recipe_analysis_request',
  AI_TIMEOUT_MS: 100_000,
  CRAWL_TIMEOUT_MS: 30_000,
  RABBITMQ_DECLARE_QUEUES: true,
  RABBITMQ_QUEUE_TYPE: 'classic',
  RABBITMQ_HEARTBEAT_S: 10,
  RECONNECT_BASE_MS: 100,
  RECONNECT_MAX_MS: 10_000,
  /** REPLY_QUEUE_EXPIRES_MS defaults to the largest deadline plus this margin. */
  REPLY_QUEUE_EXPIRY_MARGIN_MS: 60_000,
  MAX_BUFFERED_REQUESTS: 10_000,
  RESULT_TTL_MS: 600_000,
  MAX_BODY_BYTES: 1_048_576,
  SHUTDOWN_TIMEOUT_MS: 30_000,
  SHUTDOWN_DELAY_MS: 0,
  MAX_IN_FLIGHT_REQUESTS: 10_000,
  MAX_IN_FLIGHT_BYTES: 268_435_456,
  RESULT_STORE_MAX: 100_000,
  HTTP_HEADERS_TIMEOUT_MS: 10_000,
  HTTP_REQUEST_TIMEOUT_MS: 60_000,
  CRAWLER_ALLOW_PRIVATE: false,
  PORT: 3000,
  HOST: '0.0.0.0',
  LOG_LEVEL: 'info',
  XSTATE_INSPECT: 'off',
} as const;

const positiveInt = z.coerce
  .number({ error: 'must be a positive integer' })
  .int('must be a positive integer')
  .positive('must be a positive integer');

const nonNegativeInt = z.coerce
  .number({ error: 'must be a non-negative integer' })
  .int('must be a non-negative integer')
  .nonnegative('must be a non-negative integer');

const nonEmpty = z.string().trim().min(1, 'must not be empty');

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

// Its problems are described, never quoted: the value may carry a password.
const amqpUrls = z
  .string()
  .transform((raw) => raw.split(',').map((u) => u.trim()).filter(Boolean))
  .superRefine((urls, ctx) => {
    if (urls.length === 0) ctx.addIssue({ code: 'custom', message: 'must list at least one amqp:// or amqps:// URL' });
    urls.forEach((url, i) => {
      const problem = amqpUrlProblem(url);
      if (problem) ctx.addIssue({ code: 'custom', message: urls.length > 1 ? `entry ${i + 1}: ${problem}` : problem });
    });
  });

function amqpUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a valid URL (a reserved character such as / @ : # ? in the user name or password must be percent-encoded)';
  }
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') return 'must be an amqp:// or amqps:// URL';
  if (url.hostname === '') return 'has no host';
  return undefined;
}

const inspectTarget = z
  .string()
  .trim()
  .refine((v) => v === 'off' || v === 'live' || /^wss?:\/\/.+/.test(v), 'must be off, live or a ws:// URL');

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const envSchema = z.object({
  RABBITMQ_URL: amqpUrls.prefault(DEFAULTS.RABBITMQ_URL),
  RABBITMQ_CRAWLING_REQUEST_QUEUE: nonEmpty.default(DEFAULTS.RABBITMQ_CRAWLING_REQUEST_QUEUE),
  RABBITMQ_CRAWLING_RESPONSE_QUEUE: nonEmpty.default(DEFAULTS.RABBITMQ_CRAWLING_RESPONSE_QUEUE),
  AI_QUEUE_NAME: nonEmpty.default(DEFAULTS.AI_QUEUE_NAME),
  AI_IMAGE_QUEUE_NAME: nonEmpty.optional(),
  AI_TIMEOUT_MS: positiveInt.default(DEFAULTS.AI_TIMEOUT_MS),
  CRAWL_TIMEOUT_MS: positiveInt.default(DEFAULTS.CRAWL_TIMEOUT_MS),
  RABBITMQ_DECLARE_QUEUES: bool.default(DEFAULTS.RABBITMQ_DECLARE_QUEUES),
  RABBITMQ_QUEUE_TYPE: z.enum(['classic', 'quorum']).default(DEFAULTS.RABBITMQ_QUEUE_TYPE),
  RABBITMQ_HEARTBEAT_S: positiveInt.default(DEFAULTS.RABBITMQ_HEARTBEAT_S),
  RECONNECT_BASE_MS: positiveInt.default(DEFAULTS.RECONNECT_BASE_MS),
  RECONNECT_MAX_MS: positiveInt.default(DEFAULTS.RECONNECT_MAX_MS),
  REPLY_QUEUE_EXPIRES_MS: positiveInt.optional(),
  MAX_BUFFERED_REQUESTS: positiveInt.default(DEFAULTS.MAX_BUFFERED_REQUESTS),
  RESULT_TTL_MS: positiveInt.default(DEFAULTS.RESULT_TTL_MS),
  MAX_BODY_BYTES: positiveInt.default(DEFAULTS.MAX_BODY_BYTES),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(DEFAULTS.SHUTDOWN_TIMEOUT_MS),
  SHUTDOWN_DELAY_MS: nonNegativeInt.default(DEFAULTS.SHUTDOWN_DELAY_MS),
  MAX_IN_FLIGHT_REQUESTS: positiveInt.default(DEFAULTS.MAX_IN_FLIGHT_REQUESTS),
  MAX_IN_FLIGHT_BYTES: positiveInt.default(DEFAULTS.MAX_IN_FLIGHT_BYTES),
  RESULT_STORE_MAX: positiveInt.default(DEFAULTS.RESULT_STORE_MAX),
  HTTP_HEADERS_TIMEOUT_MS: positiveInt.default(DEFAULTS.HTTP_HEADERS_TIMEOUT_MS),
  HTTP_REQUEST_TIMEOUT_MS: positiveInt.default(DEFAULTS.HTTP_REQUEST_TIMEOUT_MS),
  CRAWLER_ALLOW_PRIVATE: bool.default(DEFAULTS.CRAWLER_ALLOW_PRIVATE),
  PORT: positiveInt.max(65_535, 'must be a port number (1-65535)').default(DEFAULTS.PORT),
  HOST: nonEmpty.default(DEFAULTS.HOST),
  LOG_LEVEL: logLevel.default(DEFAULTS.LOG_LEVEL),
  LOG_PRETTY: bool.default(false),
  XSTATE_INSPECT: inspectTarget.default(DEFAULTS.XSTATE_INSPECT),
  OTEL_ENABLED: bool.default(false),
  METRICS_ENDPOINT: bool.default(true),
  DEBUG_ENDPOINTS: bool.default(true),
  API_TOKENS: z
    .string()
    .default('')
    .transform((raw) => raw.split(/[,\n]/).map((t) => t.trim()).filter(Boolean)),
  RELAY_INSTANCE_ID: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, - or _ (it prefixes correlation ids)')
    .optional(),
});

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
