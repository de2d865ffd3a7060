import { ConfigError, loadConfig } from '../../src/config/load-config.ts';

/** The problems loadConfig reports for `env`; fails the test if it reports none. */
export function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
