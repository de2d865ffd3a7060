/** Host and port of a broker URL, for logs and /readyz: never the credentials. */
export function brokerHost(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.hostname}:${url.port || (url.protocol === 'amqps:' ? '5671' : '5672')}`;
  } catch {
    return '<invalid url>';
  }
}

/** The URL with the heartbeat the relay asks for, unless the URL names one itself. */
export function withHeartbeat(raw: string, seconds: number): string {
  const url = new URL(raw);
  if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', String(seconds));
  return url.toString();
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
