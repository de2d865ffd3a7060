import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

/** The node flags `npm start` runs dist/main.js with (package.json's start script). */
export function npmStartFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const command = /exec node (.*?)\s*dist\/main\.js$/.exec(scripts.start);
  if (!command) throw new Error(`package.json's start script does not end in "exec node … dist/main.js": ${scripts.start}`);
  return command[1]!.split(/\s+/).filter(Boolean);
}
