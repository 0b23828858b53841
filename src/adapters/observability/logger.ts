import { pino, type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

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

/** JSON lines for programs (log shippers, files, pipes); one readable line per entry for a person at a terminal. */
export type LogFormat = 'json' | 'pretty';

/**
 * The format for a stream: readable on an interactive terminal, JSON anywhere else, so that production and log
 * shippers always get JSON. FRAUDSCORE_LOG_FORMAT=json|pretty overrides (JSON in a terminal, e.g. to pipe through jq
 * later; readable lines in a CI log).
 */
export function logFormatFor(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>> = process.env,
): LogFormat {
  const forced = env['FRAUDSCORE_LOG_FORMAT'];
  if (forced === 'json' || forced === 'pretty') return forced;
  if (forced !== undefined && forced !== '') {
    throw new Error(`FRAUDSCORE_LOG_FORMAT: "${forced}" is not a log format; use json or pretty (or unset it)`);
  }
  return stream.isTTY === true ? 'pretty' : 'json';
}

/** pino's levels, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * The level FRAUDSCORE_LOG_LEVEL asks for (`variable`: another variable, e.g. a test's), or `fallback` when it is unset
 * or empty. Every level read from the environment comes through here, and createLogger takes only a LogLevel: a
 * mistyped level stops the command naming the variable and the levels, not with pino's "default level:verbose must
 * be included in custom levels".
 */
export function logLevelFor(
  fallback: LogLevel,
  env: Readonly<Record<string, string | undefined>> = process.env,
  variable = 'FRAUDSCORE_LOG_LEVEL',
): LogLevel {
  const asked = env[variable];
  if (asked === undefined || asked === '') return fallback;
  if (isLogLevel(asked)) return asked;
  const levels = `${LOG_LEVELS.slice(0, -1).join(', ')} or ${LOG_LEVELS.at(-1)}`;
  throw new Error(`${variable}: "${asked}" is not a log level; use one of ${levels} (or unset it for ${fallback})`);
}

/**
 * pino's own prettifier, in this thread and synchronous rather than as a worker-thread transport: a line logged just
 * before process.exit() (a fatal error) must still reach the terminal. Every field of the entry is printed on its
 * line, except `err`, which pino-pretty sets on the next line so that it stands out; redaction has already happened in
 * pino by then.
 */
function prettyStream(destination: NodeJS.WritableStream | number, colorize: boolean): DestinationStream {
  return pinoPretty({
    destination,
    sync: true,
    colorize,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    // The header shows name and level; pid and host name say nothing at a terminal.
    ignore: 'pid,hostname,topology',
  });
}

export function createLogger(options: {
  name: string;
  /** Default info; from the environment through logLevelFor. */
  level?: LogLevel;
  /** Default: stdout, written synchronously to its file descriptor (pino's own default). */
  destination?: NodeJS.WritableStream & { readonly isTTY?: boolean };
  /** Default: logFormatFor(stdout) when writing to stdout, JSON for any other destination. */
  format?: LogFormat;
}): Logger {
  const { destination } = options;
  const format = options.format ?? (destination ? 'json' : logFormatFor(process.stdout));
  // Without a destination, stdout goes by file descriptor 1 and synchronously, never through process.stdout, whose
  // writes to a pipe are asynchronous: a line logged just before process.exit() would be lost to a log shipper.
  const stream =
    format === 'pretty'
      ? prettyStream(destination ?? 1, (destination ?? process.stdout).isTTY === true)
      : (destination as DestinationStream | undefined);
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { topology: options.name },
    },
    stream,
  );
}
