import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

/** package.json's start script, which ends in `[VAR=value …] exec node [flags] dist/main.js`. */
function startCommand(): { env: string; flags: string } {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const command = /((?:[A-Za-z_][A-Za-z0-9_]*=\S+\s+)*)exec node (.*?)\s*dist\/main\.js$/.exec(scripts.start);
  if (!command) throw new Error(`package.json's start script does not end in "exec node … dist/main.js": ${scripts.start}`);
  return { env: command[1]!, flags: command[2]! };
}

/** The node flags `npm start` runs dist/main.js with. */
export function npmStartFlags(): string[] {
  return startCommand().flags.split(/\s+/).filter(Boolean);
}

/** The environment variables `npm start` sets for node (assignments before `exec node`). */
export function npmStartEnv(): Record<string, string> {
  const assignments = startCommand().env.split(/\s+/).filter(Boolean);
  return Object.fromEntries(assignments.map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
}
