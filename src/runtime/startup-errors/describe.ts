import type { SecretRef } from '../../config/index.js';

/** The fields of the errors kafkajs, ioredis, the registry client, fetch and Node's fs raise that we read. */
export interface ErrorLike {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string | number;
  readonly type?: string;
  readonly status?: number;
  /** kafkajs: the broker ("host:port") a connection error is about. */
  readonly broker?: string;
  readonly cause?: unknown;
  readonly originalError?: unknown;
}

/** The error and what it wraps (kafkajs: originalError; ours, fetch's and Node's: cause), outermost first. */
export function chain(error: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let current: unknown = error;
  while (current !== null && typeof current === 'object' && out.length < 8) {
    const e = current as ErrorLike;
    out.push(e);
    current = e.cause ?? e.originalError;
  }
  return out;
}

export function describeSecret(ref: SecretRef | undefined): string {
  if (!ref) return 'no password is configured';
  return ref.env !== undefined
    ? `the password comes from environment variable ${ref.env}`
    : `the password comes from file ${ref.file}`;
}

/** Why a connection could not be made, by the socket's error code: what it most likely means. */
const NETWORK_CAUSES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'nothing accepts connections there',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved (no DNS answer)',
  ETIMEDOUT: 'no answer in time: a wrong address, a stopped host or a firewall dropping the traffic',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ECONNRESET: 'the server closed the connection without an answer: probably not the right kind of server',
};

export interface NetworkFailure {
  /** The socket error code, e.g. ECONNREFUSED. */
  readonly code: string;
  /** What it most likely means, for a person. */
  readonly cause: string;
  /** The error it was found on. */
  readonly error: ErrorLike;
}

/**
 * The first socket-level failure in the chain. Codes are read from `code`, or from the message where a client
 * folds the socket error into text (the registry client: "status 400: connect ECONNREFUSED 127.0.0.1:1"; kafkajs:
 * "Connection timeout"; Node's http: "socket hang up"; fetch past its AbortSignal.timeout(): a TimeoutError).
 */
export function networkFailure(errors: readonly ErrorLike[]): NetworkFailure | undefined {
  for (const e of errors) {
    const message = e.message ?? '';
    let code = typeof e.code === 'string' && e.code in NETWORK_CAUSES ? e.code : undefined;
    code ??= /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET)\b/.exec(message)?.[1];
    if (!code && /\bConnection timeout\b/i.test(message)) code = 'ETIMEDOUT';
    // fetch given AbortSignal.timeout() rejects with a DOMException named TimeoutError (no socket code at all).
    if (!code && e.name === 'TimeoutError') code = 'ETIMEDOUT';
    // Node's http says "socket hang up"; fetch (undici) says "other side closed" with code UND_ERR_SOCKET.
    if (!code && (/\bsocket hang up\b|\bother side closed\b/i.test(message) || e.code === 'UND_ERR_SOCKET')) {
      code = 'ECONNRESET';
    }
    if (code) return { code, cause: NETWORK_CAUSES[code] as string, error: e };
  }
  return undefined;
}
