import * as z from 'zod/mini';

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
  XSTATE_INSPECT_BODIES: false,
} as const;

const positiveInt = z.coerce
  .number({ error: 'must be a positive integer' })
  .check(z.int('must be a positive integer'), z.positive('must be a positive integer'));

const nonNegativeInt = z.coerce
  .number({ error: 'must be a non-negative integer' })
  .check(z.int('must be a non-negative integer'), z.nonnegative('must be a non-negative integer'));

const nonEmpty = z.string().check(z.trim(), z.minLength(1, 'must not be empty'));

const bool = z.pipe(
  z.string().check(
    z.trim(),
    z.toLowerCase(),
    z.refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false'),
  ),
  z.transform((v) => v === 'true' || v === '1' || v === 'yes'),
);

// Its problems are described, never quoted: the value may carry a password.
const amqpUrls = z
  .pipe(
    z.string(),
    z.transform((raw: string) => raw.split(',').map((u) => u.trim()).filter(Boolean)),
  )
  .check(
    z.superRefine((urls, ctx) => {
      if (urls.length === 0) ctx.addIssue({ code: 'custom', message: 'must list at least one amqp:// or amqps:// URL' });
      urls.forEach((url, i) => {
        const problem = amqpUrlProblem(url);
        if (problem) ctx.addIssue({ code: 'custom', message: urls.length > 1 ? `entry ${i + 1}: ${problem}` : problem });
      });
    }),
  );

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
  .check(
    z.trim(),
    z.refine((v) => v === 'off' || v === 'live' || /^wss?:\/\/.+/.test(v), 'must be off, live or a ws:// URL'),
  );

// zod/mini (tree-shaken into the bundle, unlike the full API) loads no messages: each problem is worded here.
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values, `must be one of ${values.join(', ')}`);

/** zod/mini's `default`, a reserved word as a function's name. */
const withDefault = z._default;

export const logLevel = oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** The environment the relay reads, as zod parses it. */
export const envSchema = z.object({
  RABBITMQ_URL: z.prefault(amqpUrls, DEFAULTS.RABBITMQ_URL),
  RABBITMQ_CRAWLING_REQUEST_QUEUE: withDefault(nonEmpty, DEFAULTS.RABBITMQ_CRAWLING_REQUEST_QUEUE),
  RABBITMQ_CRAWLING_RESPONSE_QUEUE: withDefault(nonEmpty, DEFAULTS.RABBITMQ_CRAWLING_RESPONSE_QUEUE),
  AI_QUEUE_NAME: withDefault(nonEmpty, DEFAULTS.AI_QUEUE_NAME),
  AI_IMAGE_QUEUE_NAME: z.optional(nonEmpty),
  AI_TIMEOUT_MS: withDefault(positiveInt, DEFAULTS.AI_TIMEOUT_MS),
  CRAWL_TIMEOUT_MS: withDefault(positiveInt, DEFAULTS.CRAWL_TIMEOUT_MS),
  RABBITMQ_DECLARE_QUEUES: withDefault(bool, DEFAULTS.RABBITMQ_DECLARE_QUEUES),
  RABBITMQ_QUEUE_TYPE: withDefault(oneOf(['classic', 'quorum']), DEFAULTS.RABBITMQ_QUEUE_TYPE),
  RABBITMQ_HEARTBEAT_S: withDefault(positiveInt, DEFAULTS.RABBITMQ_HEARTBEAT_S),
  RECONNECT_BASE_MS: withDefault(positiveInt, DEFAULTS.RECONNECT_BASE_MS),
  RECONNECT_MAX_MS: withDefault(positiveInt, DEFAULTS.RECONNECT_MAX_MS),
  REPLY_QUEUE_EXPIRES_MS: z.optional(positiveInt),
  MAX_BUFFERED_REQUESTS: withDefault(positiveInt, DEFAULTS.MAX_BUFFERED_REQUESTS),
  RESULT_TTL_MS: withDefault(positiveInt, DEFAULTS.RESULT_TTL_MS),
  MAX_BODY_BYTES: withDefault(positiveInt, DEFAULTS.MAX_BODY_BYTES),
  SHUTDOWN_TIMEOUT_MS: withDefault(positiveInt, DEFAULTS.SHUTDOWN_TIMEOUT_MS),
  SHUTDOWN_DELAY_MS: withDefault(nonNegativeInt, DEFAULTS.SHUTDOWN_DELAY_MS),
  MAX_IN_FLIGHT_REQUESTS: withDefault(positiveInt, DEFAULTS.MAX_IN_FLIGHT_REQUESTS),
  MAX_IN_FLIGHT_BYTES: withDefault(positiveInt, DEFAULTS.MAX_IN_FLIGHT_BYTES),
  RESULT_STORE_MAX: withDefault(positiveInt, DEFAULTS.RESULT_STORE_MAX),
  HTTP_HEADERS_TIMEOUT_MS: withDefault(positiveInt, DEFAULTS.HTTP_HEADERS_TIMEOUT_MS),
  HTTP_REQUEST_TIMEOUT_MS: withDefault(positiveInt, DEFAULTS.HTTP_REQUEST_TIMEOUT_MS),
  CRAWLER_ALLOW_PRIVATE: withDefault(bool, DEFAULTS.CRAWLER_ALLOW_PRIVATE),
  PORT: withDefault(positiveInt.check(z.maximum(65_535, 'must be a port number (1-65535)')), DEFAULTS.PORT),
  HOST: withDefault(nonEmpty, DEFAULTS.HOST),
  LOG_LEVEL: withDefault(logLevel, DEFAULTS.LOG_LEVEL),
  LOG_PRETTY: withDefault(bool, false),
  XSTATE_INSPECT: withDefault(inspectTarget, DEFAULTS.XSTATE_INSPECT),
  XSTATE_INSPECT_BODIES: withDefault(bool, DEFAULTS.XSTATE_INSPECT_BODIES),
  OTEL_ENABLED: withDefault(bool, false),
  METRICS_ENDPOINT: withDefault(bool, true),
  DEBUG_ENDPOINTS: withDefault(bool, true),
  API_TOKENS: z.pipe(
    withDefault(z.string(), ''),
    z.transform((raw: string) => raw.split(/[,\n]/).map((t) => t.trim()).filter(Boolean)),
  ),
  RELAY_INSTANCE_ID: z.optional(
    z.string().check(z.trim(), z.regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, - or _ (it prefixes correlation ids)')),
  ),
});
