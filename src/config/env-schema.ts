import { z } from 'zod';

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

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** The environment the relay reads, as zod parses it. */
export const envSchema = z.object({
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
  XSTATE_INSPECT_BODIES: bool.default(DEFAULTS.XSTATE_INSPECT_BODIES),
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
