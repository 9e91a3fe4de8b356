import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger };

/** Paths pino blanks out wherever they appear in a log object. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'secret',
  '*.secret',
  '*.*.secret',
  'roomPassword',
  '*.roomPassword',
  'headers.authorization',
  'headers["proxy-authorization"]',
  'headers["jitsi-conference-room-pass"]',
];

export interface LoggerSettings {
  level: string;
  /** Where lines go; stdout (synchronously, so nothing is lost at exit) when absent. */
  destination?: DestinationStream;
}

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    base: { service: 'jitsi-sip-gateway' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const dest = settings.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(options, dest);
}

/** A logger that writes nothing; for tests and for library code used without a parent logger. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** The per-call child logger: every line of a call carries its id and room. */
export function callLogger(parent: Logger, callId: string, room?: string): Logger {
  return parent.child(room === undefined ? { callId } : { callId, room });
}
