import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';

/** What a chaos scenario reports: every request sent ends in exactly one of these. */
export interface Tally {
  sent: number;
  ok: number;
  unavailable: number;
  timeout: number;
  hung: number;
  /** 200 whose body is another request's answer (must stay 0). */
  wrongReply: number;
  /** Any other status or code, by "status code". */
  other: Record<string, number>;
  maxMs: number;
}

export function emptyTally(): Tally {
  return { sent: 0, ok: 0, unavailable: 0, timeout: 0, hung: 0, wrongReply: 0, other: {}, maxMs: 0 };
}

export interface LoadOptions {
  readonly baseUrl: string;
  readonly clients: number;
  /** Each client sends requests one after the other until this returns true (checked between requests)... */
  readonly until?: () => boolean;
  /** ...or this many requests in all. */
  readonly total?: number;
  /** X-Timeout-Ms of every request: its deadline. */
  readonly deadlineMs: number;
  readonly tally?: Tally;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * One recipe request. A request still unanswered one second (plus scheduling slack) after its
 * deadline is counted as hung and abandoned: the contract says that never happens.
 */
export async function recipeRequest(baseUrl: string, deadlineMs: number, tally: Tally): Promise<void> {
  const text = `chaos ${randomUUID()}: 2 eggs, 100 g flour, bake 20 min`;
  const started = performance.now();
  tally.sent++;
  try {
    const response = await fetch(`${baseUrl}/api/ai/recipe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-timeout-ms': String(deadlineMs) },
      body: JSON.stringify({ recipe_text: text }),
      signal: AbortSignal.timeout(deadlineMs + 1_000 + 500),
    });
    const body = (await response.json()) as { inputSha256?: string; error?: { code?: string } };
    tally.maxMs = Math.max(tally.maxMs, Math.round(performance.now() - started));
    if (response.status === 200) {
      if (body.inputSha256 === sha256(text)) tally.ok++;
      else tally.wrongReply++;
    } else if (response.status === 503 && body.error?.code === 'BROKER_UNAVAILABLE') tally.unavailable++;
    else if (response.status === 504 && body.error?.code === 'TIMEOUT') tally.timeout++;
    else {
      const key = `${response.status} ${body.error?.code ?? ''}`.trim();
      tally.other[key] = (tally.other[key] ?? 0) + 1;
    }
  } catch {
    tally.hung++;
  }
}

/** `clients` concurrent clients, each sending one request after the other. */
export async function runLoad(options: LoadOptions): Promise<Tally> {
  const tally = options.tally ?? emptyTally();
  let budget = options.total ?? Number.POSITIVE_INFINITY;
  const client = async () => {
    for (let i = 0; i < 10_000; i++) {
      if (options.until?.() || budget <= 0) return;
      budget--;
      await recipeRequest(options.baseUrl, options.deadlineMs, tally);
    }
  };
  await Promise.all(Array.from({ length: options.clients }, client));
  return tally;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Prints the scenario's figures and writes them to test-artifacts/chaos-<scenario>.json. */
export function report(scenario: string, tally: Tally, figures: Record<string, unknown> = {}): void {
  const row = { scenario, sent: tally.sent, '200': tally.ok, '503': tally.unavailable, '504': tally.timeout, hung: tally.hung, wrongReply: tally.wrongReply, other: JSON.stringify(tally.other), maxMs: tally.maxMs, ...figures };
  mkdirSync('test-artifacts', { recursive: true });
  writeFileSync(`test-artifacts/chaos-${scenario}.json`, `${JSON.stringify(row, null, 2)}\n`);
  console.table([row]);
}
