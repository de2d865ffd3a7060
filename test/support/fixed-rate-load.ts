import { spawn } from 'node:child_process';

export interface FixedRateResult {
  readonly requests: { readonly total: number; readonly average: number };
  readonly non2xx: number;
  readonly latency: { readonly p99: number };
}

/**
 * Recipe requests at a fixed rate (autocannon's `-R`, 32 connections) for `seconds`: the load the
 * cost scripts measure the relay's CPU under. autocannon runs in its own process, so its CPU is
 * not counted with the relay's when the relay runs in the caller's process.
 */
export function recipesAtFixedRate(baseUrl: string, rate: number, seconds: number): Promise<FixedRateResult> {
  const args = ['autocannon', '-j', '-c', '32', '-R', String(rate), '-d', String(seconds), '-m', 'POST', '-H', 'content-type=application/json', '-b', '{"recipe_text":"two eggs"}', `${baseUrl}/api/ai/recipe`];
  return new Promise((resolve, reject) => {
    const child = spawn('npx', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as FixedRateResult) : reject(new Error(`autocannon exited ${code}`))));
  });
}

export interface RelayCpuFigures {
  readonly targetRate: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly reqPerS: number;
  readonly p99ms: number;
  readonly relayCpuS: number;
  readonly relayCpuPercentOfCore: number;
  readonly cpuSPer1000Requests: number;
}

/**
 * This process's CPU (where the relay under test runs) while it serves recipes at a fixed rate:
 * 3 s of warm-up first, then `seconds` measured. `settle` runs after the warm-up and again before
 * the measurement ends (e.g. flushing buffered spans, so that their export is counted).
 */
export async function relayCpuAtFixedRate(baseUrl: string, rate: number, seconds: number, settle?: () => Promise<void>): Promise<RelayCpuFigures> {
  await recipesAtFixedRate(baseUrl, rate, 3);
  await settle?.();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const result = await recipesAtFixedRate(baseUrl, rate, seconds);
  await settle?.();
  const cpu = process.cpuUsage(cpu0);
  const wallS = (performance.now() - wall0) / 1000;
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const ok = result.requests.total - result.non2xx;
  return {
    targetRate: rate,
    requests: result.requests.total,
    non2xx: result.non2xx,
    reqPerS: Math.round(ok / seconds),
    p99ms: result.latency.p99,
    relayCpuS: Number(cpuS.toFixed(2)),
    relayCpuPercentOfCore: Math.round((100 * cpuS) / wallS),
    cpuSPer1000Requests: Number(((cpuS * 1000) / ok).toFixed(4)),
  };
}
