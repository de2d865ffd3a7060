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
