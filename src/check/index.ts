import type { GatewayConfig } from '../config/types.js';
import { createLogger } from '../log.js';
import { exitCodeOf, formatReport } from './report.js';
import { runSelfCheck } from './self-check.js';

export { runSelfCheck, type SelfCheckOptions } from './self-check.js';
export { exitCodeOf, formatReport } from './report.js';
export type { CheckResult, CheckStatus } from './check.js';

/**
 * `--check`: runs the self-check, writes one line per check to `out`, and returns the exit status.
 * The libraries' own logs stay quiet unless LOG_LEVEL asks for debug or trace (then on stderr).
 */
export async function selfCheckCommand(config: GatewayConfig, out: NodeJS.WritableStream): Promise<number> {
  const verbose = config.logLevel === 'debug' || config.logLevel === 'trace';
  const logger = createLogger({ level: verbose ? config.logLevel : 'silent', destination: process.stderr });
  out.write(`jitsi-sip-gateway ${config.version} self-check (MEDIA_MODE=${config.media.mode})\n`);
  const results = await runSelfCheck(config, logger);
  out.write(formatReport(results));
  return exitCodeOf(results);
}

/** Printed under a configuration error: where the settings are explained, and what tests them. */
export const CONFIG_HELP = [
  'Every setting an operator usually sets is in .env.example, commented (docker-jitsi-meet names first):',
  'copy it to .env and fill it in; docker compose reads .env by itself, `node dist/main.js` and `npm start` with --config .env (or CONFIG_FILE=.env).',
  'Then `npm run check -- --config .env` tests Prosody, the brewery, the focus, drachtio-server, FreeSWITCH, the mapper and the media ports, one line each.',
].join('\n');
