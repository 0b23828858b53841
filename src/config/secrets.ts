import { readFileSync } from 'node:fs';
import type { SecretRef } from './topology-schema.js';

/** Reads a secret from the environment or a file at connection time; the value never enters the config object. */
export function resolveSecret(
  ref: SecretRef,
  field: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  if (ref.env !== undefined) {
    const value = env[ref.env];
    if (value === undefined || value === '') {
      throw new Error(`${field}: environment variable ${ref.env} is empty; export it or use { file: <path> }`);
    }
    return value;
  }
  let value: string;
  try {
    value = readFileSync(ref.file as string, 'utf8').trim();
  } catch (error) {
    throw new Error(
      `${field}: cannot read secret file ${ref.file} (${(error as NodeJS.ErrnoException).code}); check the path and permissions`,
    );
  }
  // As an empty variable above: an empty file is a secret not yet written (a mount before its content), never a
  // password, and sent as one it fails later as a login error that does not name the file.
  if (value === '') throw new Error(`${field}: secret file ${ref.file} is empty; put the password in it`);
  return value;
}
