/** The contract's error table: every code the relay answers with, and its HTTP status. */
export const ERROR_STATUS = {
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
  WORKER_ERROR: 502,
  BAD_REPLY: 502,
  BROKER_UNAVAILABLE: 503,
  NO_ROUTE: 503,
  SHUTTING_DOWN: 503,
  OVERLOADED: 503,
  TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Codes a request actor can end with (the rest are decided by the HTTP layer). */
export type RequestErrorCode = Extract<ErrorCode, 'TIMEOUT' | 'BROKER_UNAVAILABLE' | 'WORKER_ERROR' | 'BAD_REPLY' | 'NO_ROUTE' | 'SHUTTING_DOWN' | 'INTERNAL'>;

export class RelayError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'RelayError';
    this.status = ERROR_STATUS[code];
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_STATUS, value);
}

/** Seconds a client should wait before retrying an error that says "not now". */
export const RETRY_AFTER_SECONDS: Partial<Record<ErrorCode, number>> = {
  BROKER_UNAVAILABLE: 5,
  NO_ROUTE: 5,
  SHUTTING_DOWN: 5,
  OVERLOADED: 1,
};
