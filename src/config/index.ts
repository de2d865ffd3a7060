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
  REPLY_QUEUE_EXPIRES_MS: 60_000,
  MAX_BUFFERED_REQUESTS: 10_000,
  MAX_IN_FLIGHT_REQUESTS: 10_000,
  MAX_IN_FLIGHT_BYTES: 268_435_456,
  RESULT_TTL_MS: 600_000,
  MAX_BODY_BYTES: 1_048_576,
  SHUTDOWN_TIMEOUT_MS: 30_000,
  PORT: 3000,
  HOST: '0.0.0.0',
  LOG_LEVEL: 'info',
  XSTATE_INSPECT: 'off',
} as const;

const positiveInt = z.coerce
  .number({ error: 'must be a positive integer' })
  .int('must be a positive integer')
  .positive('must be a positive integer');

const nonEmpty = z.string().trim().min(1, 'must not be empty');

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const amqpUrls = z
  .string()
  .transform((raw) => raw.split(',').map((u) => u.trim()).filter(Boolean))
  .refine((urls) => urls.length > 0, 'must list at least one amqp:// or amqps:// URL')
  .refine((urls) => urls.every(isAmqpUrl), 'must be amqp:// or amqps:// URLs, comma-separated');

function isAmqpUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return (url.protocol === 'amqp:' || url.protocol === 'amqps:') && url.hostname !== '';
  } catch {
    return false;
  }
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
  REPLY_QUEUE_EXPIRES_MS: positiveInt.default(DEFAULTS.REPLY_QUEUE_EXPIRES_MS),
  MAX_BUFFERED_REQUESTS: positiveInt.default(DEFAULTS.MAX_BUFFERED_REQUESTS),
  MAX_IN_FLIGHT_REQUESTS: positiveInt.default(DEFAULTS.MAX_IN_FLIGHT_REQUESTS),
  MAX_IN_FLIGHT_BYTES: positiveInt.default(DEFAULTS.MAX_IN_FLIGHT_BYTES),
  RESULT_TTL_MS: positiveInt.default(DEFAULTS.RESULT_TTL_MS),
  MAX_BODY_BYTES: positiveInt.default(DEFAULTS.MAX_BODY_BYTES),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(DEFAULTS.SHUTDOWN_TIMEOUT_MS),
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
  readonly http: {
    readonly port: number;
    readonly host: string;
    readonly maxBodyBytes: number;
    readonly apiTokens: readonly string[];
    /** false: /metrics answers 404. */
    readonly exposeMetrics: boolean;
    /** false: /debug/* answers 404. */
    readonly exposeDebug: boolean;
  };
  readonly shutdownTimeoutMs: number;
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
      return `${key} ${issue.message} (got ${shown(key, present[key])})`;
    }),
    ...tlsFiles.problems,
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const instanceId = e.RELAY_INSTANCE_ID ?? `relay-${randomBytes(6).toString('hex')}`;
  return Object.freeze({
    instanceId,
    amqp: {
      urls: e.RABBITMQ_URL,
      heartbeatSeconds: e.RABBITMQ_HEARTBEAT_S,
      declareQueues: e.RABBITMQ_DECLARE_QUEUES,
      queueType: e.RABBITMQ_QUEUE_TYPE,
      reconnect: { baseMs: e.RECONNECT_BASE_MS, maxMs: e.RECONNECT_MAX_MS },
      replyQueueExpiresMs: e.REPLY_QUEUE_EXPIRES_MS,
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
    http: {
      port: e.PORT,
      host: e.HOST,
      maxBodyBytes: e.MAX_BODY_BYTES,
      apiTokens: e.API_TOKENS,
      exposeMetrics: e.METRICS_ENDPOINT,
      exposeDebug: e.DEBUG_ENDPOINTS,
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
    inspect: e.XSTATE_INSPECT,
    telemetry: e.OTEL_ENABLED,
  });
}

/** A bad value as an error message may show it: credentials and tokens masked. */
function shown(key: string, value: unknown): string {
  if (key === 'API_TOKENS') return '<hidden>';
  return JSON.stringify(String(value).replace(/\/\/[^/@\s]*@/g, '//***:***@'));
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
