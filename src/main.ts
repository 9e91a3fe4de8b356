import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Gateway } from './app/gateway.js';
import { SignalHandler } from './app/signals.js';
import { CONFIG_HELP, selfCheckCommand } from './check/index.js';
import { ConfigError, configWarnings, loadConfig, redactedConfig } from './config/index.js';
import { createLogger } from './log.js';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function configFileArg(argv: readonly string[]): string | undefined {
  const i = argv.indexOf('--config');
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig({ env: process.env, file: configFileArg(process.argv), version: packageVersion() });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`jitsi-sip-gateway: ${err.message}\n${CONFIG_HELP}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  if (process.argv.includes('--check')) {
    // Exit at once: a peer that keeps a socket half-open must not hold the verdict.
    process.exit(await selfCheckCommand(config, process.stdout));
  }
  const logger = createLogger({ level: config.logLevel });
  logger.info({ config: redactedConfig(config) }, 'starting jitsi-sip-gateway %s', config.version);
  for (const warning of configWarnings(config)) logger.warn(warning);

  let signals: SignalHandler | undefined;
  const gateway = new Gateway(config, logger, () => signals?.requestDrain());
  signals = new SignalHandler(
    process,
    {
      drain: () => gateway.drain(),
      stopNow: () => gateway.stopNow(),
      exit: (code) => {
        logger.info({ code }, 'stopped');
        logger.flush();
        process.exit(code);
      },
    },
    (msg) => logger.info(msg),
  );
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled promise rejection'));
  try {
    await gateway.start();
  } catch (err) {
    logger.fatal({ err }, 'startup failed');
    await gateway.stop();
    logger.flush();
    process.exit(1);
  }
}

void main();
