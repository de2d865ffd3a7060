import { type Config, ConfigError, loadConfig } from './config/load-config.ts';

/** The configuration, or exit code 2 with one message naming every bad variable. */
export function loadConfigOrExit(program: string): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${program}: ${err.message}\n`);
    process.exit(2);
  }
}

/**
 * Calls `onExit` once if the process that started this one goes away without passing a signal on
 * (npm, a supervisor or a test harness killed with SIGKILL): an orphaned relay would keep its port
 * and its broker connection forever.
 */
export function whenParentExits(onExit: () => void, intervalMs = 1_000): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onExit();
  }, intervalMs);
  timer.unref();
}
