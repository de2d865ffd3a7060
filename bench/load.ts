import autocannon from 'autocannon';

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Connection errors, timeouts and non-2xx answers. */
  readonly errors: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * One autocannon run against one endpoint. Latencies are kept in full (autocannon's own
 * histogram rounds to whole milliseconds, too coarse for one client).
 */
export function load(url: string, body: string, connections: number, seconds: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let ok = 0;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const tracker = autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        connections,
        duration: seconds,
        timeout: 10,
      },
      (err, result) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        const elapsed = (performance.now() - started) / 1000;
        const sorted = Float64Array.from(latencies).sort();
        resolve({
          requests: ok,
          seconds: elapsed,
          rps: ok / elapsed,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          errors: result.errors + result.non2xx,
        });
      },
    );
    tracker.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode >= 200 && statusCode < 300) {
        ok++;
        latencies.push(responseTime);
      }
    });
  });
}
