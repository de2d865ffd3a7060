import { spawn, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm run demo`: the relay and the reference workers, as two processes, against the broker in
 * RABBITMQ_URL (default: the local one). Ctrl-C stops both.
 */
const self = fileURLToPath(import.meta.url);
// Beside this file, with its extension: dist/*.js when built, src/*.ts under tsx (execArgv carries its loader).
const sibling = (name: string) => fileURLToPath(new URL(`./${name}${extname(self)}`, import.meta.url));
const children: ChildProcess[] = [sibling('workers/main'), sibling('main')].map((entry) =>
  // Own process groups: a Ctrl-C reaches each child once, through stopAll, not twice.
  spawn(process.execPath, [...process.execArgv, entry], { stdio: 'inherit', env: process.env, detached: true }),
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
