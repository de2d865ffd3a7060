import { pino, type Logger } from 'pino';

export type { Logger };

/** Log lines kept in memory while stdout cannot take them (a slow or unread pipe); beyond, lines are dropped. */
const MAX_BUFFERED_LOG_BYTES = 16 * 1024 * 1024;

/**
 * Lines are written to stdout in batches of at least this many bytes, or every LOG_FLUSH_MS: one
 * system call per few dozen access-log lines instead of one write on the thread pool per request.
 */
const LOG_BATCH_BYTES = 4096;
const LOG_FLUSH_MS = 250;

/** How to write out what is still buffered, giving up after a time (see createLogger). */
const finalFlushes = new WeakMap<Logger, (timeoutMs: number) => void>();

/**
 * The one root logger. Secrets are redacted wherever they might appear in a logged object.
 * stdout is written asynchronously and buffered (bounded): a reader that stops reading the pipe
 * must not freeze the relay, and lines go out in batches, at the latest LOG_FLUSH_MS after they
 * were logged; what is buffered at exit is written then (flushLogsBeforeExit).
 */
export function createLogger(options: { level: string; pretty?: boolean; service?: string }): Logger {
  const settings = {
    level: options.level,
    base: { service: options.service ?? 'amqp-relay' },
    redact: {
      paths: ['password', '*.password', 'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization'],
      censor: '[redacted]',
    },
  };
  if (options.pretty) return pino({ ...settings, transport: { target: 'pino-pretty', options: { colorize: true } } });
  let giveUpAt = Number.POSITIVE_INFINITY;
  // Opening process.stdout makes fd 1 non-blocking when it is a pipe or a socket. The destination
  // writes fd 1 itself: on a blocking pipe that nobody reads, its final flushSync would block for
  // ever instead of getting EAGAIN and giving up (seen once the relay ran without tsx, whose loader
  // happened to open process.stdout).
  void process.stdout;
  const destination = pino.destination({
    dest: 1,
    sync: false,
    minLength: LOG_BATCH_BYTES,
    periodicFlush: LOG_FLUSH_MS,
    maxLength: MAX_BUFFERED_LOG_BYTES,
    retryEAGAIN: () => Date.now() < giveUpAt,
  });
  destination.on('error', () => {}); // only after giving up: the lines are dropped
  const logger = pino(settings, destination);
  finalFlushes.set(logger, (timeoutMs) => {
    giveUpAt = Date.now() + timeoutMs;
    try {
      destination.flushSync();
    } catch {
      // stdout took nothing for timeoutMs: drop the rest, so that exiting does not wait for it.
      destination.destroy();
    }
  });
  return logger;
}

/**
 * Before process.exit: writes out the buffered lines, waiting at most `timeoutMs` for a stdout
 * that does not take them (pino's own exit hook would wait forever on a pipe nobody reads).
 */
export function flushLogsBeforeExit(logger: Logger, timeoutMs = 2_000): void {
  const flush = finalFlushes.get(logger);
  if (flush) flush(timeoutMs);
  else logger.flush();
}
