/**
 * Benchmark children exit when the bench process goes away, however it goes (even SIGKILL):
 * the bench holds their stdin open, and its end is the signal.
 */
export function exitWithParent(): void {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
