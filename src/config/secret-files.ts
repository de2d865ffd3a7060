import { readFileSync } from 'node:fs';

/** Variables whose value may instead come from a file named by X_FILE (a mounted Docker or Kubernetes secret). */
const FILE_BACKED = ['RABBITMQ_URL', 'API_TOKENS'] as const;

export interface FileBackedValues {
  /** The trimmed contents, by the variable they stand for (RABBITMQ_URL, not RABBITMQ_URL_FILE). */
  readonly values: Readonly<Record<string, string>>;
  readonly problems: readonly string[];
}

const isSet = (value: string | undefined): value is string => value !== undefined && value !== '';

/** Reads every X_FILE that is set. A problem names the variable and the path, never the contents. */
export function readFileBacked(env: NodeJS.ProcessEnv): FileBackedValues {
  const values: Record<string, string> = {};
  const problems: string[] = [];
  for (const key of FILE_BACKED) {
    const fileKey = `${key}_FILE`;
    const path = env[fileKey];
    if (!isSet(path)) continue;
    if (isSet(env[key])) {
      problems.push(`${key} and ${fileKey} are both set: set only one`);
      continue;
    }
    const read = readText(path);
    if ('error' in read) problems.push(`${fileKey} cannot be read: ${read.error} (got ${JSON.stringify(path)})`);
    else if (read.text === '') problems.push(`${fileKey} names an empty file (got ${JSON.stringify(path)})`);
    else values[key] = read.text;
  }
  return { values, problems };
}

function readText(path: string): { text: string } | { error: string } {
  try {
    return { text: readFileSync(path, 'utf8').trim() };
  } catch (err) {
    return { error: errorCode(err) };
  }
}

/** ENOENT, EACCES, EISDIR…: enough to act on, and never the file's contents. */
export function errorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code ?? (err instanceof Error ? err.message : String(err));
}
