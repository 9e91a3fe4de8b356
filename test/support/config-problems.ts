import { ConfigError, loadConfig } from '../../src/config/index.js';

/** The minimum a configuration needs to load (every other setting has a default). */
export const MINIMAL_ENV = { JIGASI_XMPP_PASSWORD: 'xmpp-secret' };

/** The problems loadConfig reports for MINIMAL_ENV plus `env`; throws when it loads. */
export function configProblems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig({ env: { ...MINIMAL_ENV, ...env } });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
