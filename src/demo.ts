import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * `npm run demo`: the relay and the reference workers, as two processes, against the broker in
 * RABBITMQ_URL (default: the local one). Ctrl-C stops both.
 */
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const children: ChildProcess[] = [here('./workers/main.ts'), here('./main.ts')].map((entry) =>
  // Own process groups: a Ctrl-C reaches each child once, through stopAll, not twice.
  spawn(process.execPath, ['--import', 'tsx', entry], { stdio: 'inherit', env: process.env, detached: true }),
);

let exiting = false;
const stopAll = (signal: NodeJS.Signals) => {
  if (exiting) return;
  exiting = true;
  for (const child of children) child.kill(signal);
};
process.on('SIGINT', () => stopAll('SIGINT'));
process.on('SIGTERM', () => stopAll('SIGTERM'));
for (const child of children) {
  child.on('exit', (code) => {
    if (!exiting) {
      process.exitCode = code ?? 1;
      stopAll('SIGTERM');
    }
  });
}
