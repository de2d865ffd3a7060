import { pino, type Logger } from 'pino';

export type { Logger };

/** The one root logger. Secrets are redacted wherever they might appear in a logged object. */
export function createLogger(options: { level: string; pretty?: boolean; service?: string }): Logger {
  return pino({
    level: options.level,
    base: { service: options.service ?? 'amqp-relay' },
    redact: {
      paths: ['password', '*.password', 'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization'],
      censor: '[redacted]',
    },
    ...(options.pretty ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  });
}
