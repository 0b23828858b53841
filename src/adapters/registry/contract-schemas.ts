import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Avro schemas of the interface contract, as files under schemas/. */
export type ContractSchemaName = 'transaction' | 'label' | 'score' | 'dead-letter';

/**
 * Finds the repository's schemas/ directory by walking up from this module: the same code runs from src/ (with a
 * loader) and from dist/src/ (compiled), which sit at different depths.
 */
export function findSchemaDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'schemas');
    if (existsSync(join(candidate, 'transaction.avsc'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no schemas/transaction.avsc found above ${from}; pass schemaDir explicitly`);
    dir = parent;
  }
}

export function readContractSchema(name: ContractSchemaName, schemaDir: string = findSchemaDir()): object {
  const path = join(schemaDir, `${name}.avsc`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as object;
  } catch (error) {
    throw new Error(`cannot read Avro schema ${path}: ${(error as Error).message}`, { cause: error });
  }
}
