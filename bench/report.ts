/** Summary table of a bench run: one row per endpoint, concurrency and target, plus relay/raw ratios. */

interface CellLike {
  readonly target: string;
  readonly endpoint: string;
  readonly connections: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly rssMb: number;
  readonly cpuMsPer1000: number;
  readonly requests: number;
  readonly cpuSeconds: number;
}

/** The cells of one endpoint, concurrency and target, averaged over `runs`. */
export type Row = Omit<CellLike, 'requests' | 'cpuSeconds'> & { readonly runs: number };

export interface Ratio {
  readonly endpoint: string;
  readonly connections: number;
  readonly versus: string;
  readonly throughput: number;
  readonly cpuPerRequest: number;
  readonly p50DeltaMs: number;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
export const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** A difference with its sign, `+0.25` or `-0.10`. */
export const signed = (x: number, digits: number) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;

export function summarize(cells: readonly CellLike[]): { rows: Row[]; ratios: Ratio[] } {
  const groups = new Map<string, CellLike[]>();
  for (const c of cells) {
    const key = `${c.endpoint}|${c.connections}|${c.target}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const rows: Row[] = [...groups.values()].map((g) => {
    const first = g[0]!;
    const requests = g.reduce((a, c) => a + c.requests, 0);
    const cpu = g.reduce((a, c) => a + c.cpuSeconds, 0);
    return {
      endpoint: first.endpoint,
      connections: first.connections,
      target: first.target,
      runs: g.length,
      rps: mean(g.map((c) => c.rps)),
      p50: median(g.map((c) => c.p50)),
      p99: median(g.map((c) => c.p99)),
      errors: g.reduce((a, c) => a + c.errors, 0),
      rssMb: Math.max(...g.map((c) => c.rssMb)),
      // Pooled over the repeats: total CPU over total requests.
      cpuMsPer1000: requests > 0 ? (cpu * 1e6) / requests : Number.NaN,
    };
  });
  const ratios: Ratio[] = [];
  for (const relay of rows.filter((r) => r.target === 'relay')) {
    for (const raw of rows.filter((r) => r.target !== 'relay' && r.endpoint === relay.endpoint && r.connections === relay.connections)) {
      ratios.push({
        endpoint: relay.endpoint,
        connections: relay.connections,
        versus: raw.target,
        throughput: relay.rps / raw.rps,
        cpuPerRequest: relay.cpuMsPer1000 / raw.cpuMsPer1000,
        p50DeltaMs: relay.p50 - raw.p50,
      });
    }
  }
  return { rows, ratios };
}

export function renderMarkdown(meta: Record<string, unknown>, summary: { rows: Row[]; ratios: Ratio[] }): string {
  const lines = [
    '# amqp-relay benchmark',
    '',
    `${String(meta.date)} · node ${String(meta.node)} · ${String(meta.cpus)} cores · ${String(meta.secondsPerCell)} s per cell × ${String(meta.repeats)} · load average before/after: ${fmtLoad(meta.loadavgBefore)} / ${fmtLoad(meta.loadavgAfter)}`,
    '',
    `Note: ${String(meta.note)}. CPU is the gateway process's user+system time (/proc/<pid>/stat, 10 ms ticks) per 1,000 answered requests.`,
    '',
    '| endpoint | clients | target | req/s | p50 ms | p99 ms | errors | RSS MB | CPU ms / 1k req |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|',
    ...summary.rows.map(
      (r) =>
        `| ${r.endpoint} | ${r.connections} | ${r.target} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} | ${r.rssMb.toFixed(0)} | ${r.cpuMsPer1000.toFixed(0)} |`,
    ),
    '',
    '| endpoint | clients | relay vs | throughput ratio | CPU/request ratio | p50 difference ms |',
    '|---|---:|---|---:|---:|---:|',
    ...summary.ratios.map(
      (r) =>
        `| ${r.endpoint} | ${r.connections} | ${r.versus} | ${r.throughput.toFixed(2)} | ${r.cpuPerRequest.toFixed(2)} | ${signed(r.p50DeltaMs, 2)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

function fmtLoad(value: unknown): string {
  return Array.isArray(value) ? value.map((v: number) => v.toFixed(2)).join(' ') : '?';
}
