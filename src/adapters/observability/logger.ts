import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Paths pino blanks in every log line. Secrets never enter the config objects as values (they are read from env or
 * files at connection time), but anything that looks like a credential is redacted as a second line of defence.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'sasl',
  '*.sasl',
  '*.*.sasl',
  'auth',
  '*.auth',
  'authorization',
  '*.authorization',
  // Paths are case-sensitive; HTTP clients spell the header both ways.
  'Authorization',
  '*.Authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'secret',
  '*.secret',
  'token',
  '*.token',
];

export function createLogger(options: { name: string; level?: string; destination?: NodeJS.WritableStream }): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { topology: options.name },
    },
    options.destination as DestinationStream | undefined,
  );
}
