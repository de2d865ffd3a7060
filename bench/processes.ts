import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Child processes of the benchmark, and what /proc says about them. Every child is the leader of
 * its own process group, so killing the group also kills what it started (tsx starts node). A
 * watchdog process kills every group if the bench itself dies without running its handlers.
 */

const TICKS_PER_SECOND = 100;
const started: ChildProcess[] = [];
let watchdog: ChildProcess | undefined;

const WATCHDOG = `
const groups = new Set();
let buf = '';
process.stdin.on('data', (d) => { buf += d; const lines = buf.split('\\n'); buf = lines.pop(); for (const l of lines) if (l) groups.add(Number(l)); });
const killAll = () => { for (const g of groups) { try { process.kill(-g, 'SIGKILL'); } catch {} } process.exit(0); };
process.stdin.on('end', killAll); process.stdin.on('close', killAll); process.stdin.on('error', killAll);
process.on('SIGTERM', () => {});
`;

export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Lines of output, last 200, for error reports. */
  readonly output: string[];
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<void>;
}

export function startChild(command: string, args: readonly string[], env: NodeJS.ProcessEnv, label: string, cwd?: string): Child {
  if (!watchdog) {
    watchdog = spawn(process.execPath, ['-e', WATCHDOG], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    watchdog.unref();
  }
  const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true, ...(cwd ? { cwd } : {}) });
  if (child.pid === undefined) throw new Error(`${label} did not start`);
  started.push(child);
  watchdog.stdin?.write(`${child.pid}\n`);
  const output: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: () => void }>();
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      output.push(line);
      if (output.length > 200) output.shift();
      for (const w of waiters) if (w.pattern.test(line)) w.resolve();
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return {
    process: child,
    pid: child.pid,
    output,
    waitForLine: (pattern, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${label}: no line matching ${pattern} within ${timeoutMs} ms\n${output.slice(-20).join('\n')}`));
        }, timeoutMs);
        const waiter = {
          pattern,
          resolve: () => {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve();
          },
        };
        waiters.add(waiter);
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`${label} exited (${code}) before it was ready\n${output.slice(-20).join('\n')}`));
        });
      }),
  };
}

/** Kills every child's process group; synchronous, so it also works in an 'exit' handler. */
export function killAll(): void {
  for (const child of started) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  started.length = 0;
  try {
    watchdog?.stdin?.end();
  } catch {
    // already gone
  }
}

export function killChildrenOnExit(): void {
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`bench failed: ${err.stack ?? String(err)}\n`);
    killAll();
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    killAll();
    process.exit(1);
  });
}

/** The process and all its descendants (tsx runs the relay in a child node process). */
export function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(entry), Number(fields[1]));
    } catch {
      // exited meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

/** User + system CPU seconds used so far by these processes. */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/** One memory figure of /proc/<pid>/status in KB (VmRSS, RssAnon, RssFile…); 0 once the process has exited. */
export function statusKb(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return Number(m?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Resident memory of these processes, in MB. */
export function rssMb(pids: readonly number[]): number {
  return pids.reduce((kb, pid) => kb + statusKb(pid, 'VmRSS'), 0) / 1024;
}
