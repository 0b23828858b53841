import { SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { resolveWriter } from './resolution.js';
import { safeTypes } from './safe-types.js';
import { foreignSchemaDetail, unreadableSchemaDetail, wrongSchemaDetail } from './schema-kinds.js';

/**
 * Which versions of a subject the pipeline reads (input, labels) the contract schema cannot read, and what to say
 * about them. Pure: the registry's answers come in, findings and messages go out (subjects.ts asks the registry).
 *
 * The subject's compatibility level cannot be trusted for this: a transitive level checks each NEW version against
 * the ones before it, so versions registered before the contract (a subject upstream created earlier) or while the
 * level was weaker were never checked against it, and every record written with one is dead-lettered WRONG_SCHEMA.
 */

/** One version as the registry's Confluent API returns it (`GET /subjects/{subject}/versions/{version}`). */
export interface RegisteredVersion {
  readonly version: number;
  readonly id: number;
  /** AVRO when absent (the Confluent API leaves it out for Avro). */
  readonly schemaType?: string;
  readonly schema: string;
  readonly references?: readonly unknown[];
}

/** A version the contract cannot read: `reason` is the detail its records' dead letters carry. */
export interface UnreadableVersion {
  readonly version: number;
  readonly id: number;
  readonly reason: string;
}

/** Why records written with the version cannot be read as `reader`, as decoding would say it; undefined if they can. */
function whyUnreadable(readerSchema: object, reader: avro.Type, found: RegisteredVersion): string | undefined {
  const kind = found.schemaType ?? SchemaType.AVRO;
  if (kind !== SchemaType.AVRO) return foreignSchemaDetail(found.id, kind as SchemaType, reader.name);
  let writer: avro.Type;
  try {
    // Built as the decoder's registry client builds writer types (serde.ts): with safeTypes.
    writer = avro.Type.forSchema(JSON.parse(found.schema) as avro.Schema, { typeHook: safeTypes });
  } catch (error) {
    return unreadableSchemaDetail(found.id, (error as Error).message);
  }
  const resolution = resolveWriter(readerSchema, reader, writer);
  return typeof resolution === 'string' ? wrongSchemaDetail(found.id, writer, reader, resolution) : undefined;
}

/**
 * The versions whose records the contract (`readerSchema`) cannot read, in the order given, each with the reason
 * decoding would give. Versions that reference schemas of other subjects are left out: built alone, their named types
 * are missing, and saying they are unreadable would be wrong (the pipeline's subjects use none).
 */
export function unreadableVersions(readerSchema: object, versions: readonly RegisteredVersion[]): UnreadableVersion[] {
  const reader = avro.Type.forSchema(readerSchema as avro.Schema, { typeHook: safeTypes });
  const found: UnreadableVersion[] = [];
  for (const version of versions) {
    if ((version.references ?? []).length > 0) continue;
    const reason = whyUnreadable(readerSchema, reader, version);
    if (reason !== undefined) found.push({ version: version.version, id: version.id, reason });
  }
  return found;
}

/** The warning for one such version: what it is, why, the consequence, and what the on-call engineer can do. */
export function unreadableVersionMessage(subject: string, role: string, found: UnreadableVersion): string {
  return (
    `schema subject ${subject} (topics.${role}) holds version ${found.version} (schema id ${found.id}), which the ` +
    `contract cannot read: ${found.reason}. Records written with it are dead-lettered WRONG_SCHEMA. The subject's ` +
    `compatibility level never checked it against the contract (it was registered before the contract, or while the ` +
    `level was weaker). If a producer still writes with it, have it move to a version the contract reads; if none ` +
    `does, delete the version from the subject (DELETE /subjects/${encodeURIComponent(subject)}/versions/` +
    `${found.version})`
  );
}
