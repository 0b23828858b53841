/** Plain requests to the registry's Confluent-compatible API, for what the client library does not do (or does badly). */

import { displayUrl, type RegistryConnection } from '../../config/index.js';

/** Raised when the registry itself cannot be reached: the batch is retried, the record is not at fault. */
export class RegistryUnavailableError extends Error {
  readonly retriable = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RegistryUnavailableError';
  }
}

export function authorizationHeader(connection: RegistryConnection): Record<string, string> {
  if (connection.username === undefined) return {};
  const token = Buffer.from(`${connection.username}:${connection.password ?? ''}`).toString('base64');
  return { authorization: `Basic ${token}` };
}

export interface RegistryResponse {
  readonly status: number;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly body: unknown;
  readonly text: string;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/**
 * One request; any HTTP status is returned, a request that gets no answer (refused, reset, timed out) throws
 * RegistryUnavailableError. `path` starts with "/" and is appended to the API base.
 */
export async function registryRequest(
  connection: RegistryConnection,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<RegistryResponse> {
  let response: Response;
  try {
    response = await fetch(`${connection.url}${path}`, {
      method,
      headers: { ...authorizationHeader(connection), ...(body === undefined ? {} : { 'content-type': CONTENT_TYPE }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new RegistryUnavailableError(
      `schema registry at ${displayUrl(connection.url)} did not answer ${method} ${path}`,
      {
        cause: error,
      },
    );
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed, text };
}

/** The message of a response that was not what the caller wanted: method, path, "HTTP <status>" and the body. */
export function unexpected(method: string, path: string, response: RegistryResponse): string {
  return `${method} ${path}: HTTP ${response.status} ${response.text.slice(0, 300)}`;
}
