import { SchemaType } from '@kafkajs/confluent-schema-registry';
import type avro from 'avsc';

/**
 * Dead-letter details for records the contract cannot read because of what their schema is, or of where their body
 * stops matching it: each says what the producer wrote and what the topic takes, or which field is wrong.
 */

/** The schema's kind as a person says it: `string`, `array`, `union` (avsc's typeName without its variant). */
export function avroKind(type: avro.Type): string {
  return type.typeName.split(':')[0] ?? type.typeName;
}

const FOREIGN_KINDS: Partial<Record<SchemaType, string>> = {
  [SchemaType.JSON]: 'a JSON Schema',
  [SchemaType.PROTOBUF]: 'a Protobuf schema',
};

/** What the topic takes: Avro records of the reader's name, when the caller gave the contract schema. */
function topicTakes(readerName: string | undefined): string {
  return readerName ? `the topic takes Avro records of ${readerName}` : 'the topic takes Avro records';
}

/** A schema id that names a schema of another type than Avro (the registry's schemaType). */
export function foreignSchemaDetail(schemaId: number, kind: SchemaType, readerName: string | undefined): string {
  return `schema ${schemaId} is ${FOREIGN_KINDS[kind] ?? `a ${kind} schema`}, not Avro: ${topicTakes(readerName)}`;
}

/** An Avro schema that is not a record (a `string`, an `array`, a `union`...). */
export function notARecordDetail(schemaId: number, writer: avro.Type, readerName: string | undefined): string {
  const kind = avroKind(writer);
  const article = /^[aeiou]/.test(kind) ? 'an' : 'a';
  return `schema ${schemaId} is ${article} \`${kind}\` schema, not a record: ${topicTakes(readerName)}`;
}

/**
 * A writer schema the reader cannot read by Avro schema resolution (`message`: resolveWriter's, resolution.ts). avsc's
 * own message for a record read from a non-record says nothing of either (it reads a field list the writer does not
 * have), so that case is told as notARecordDetail.
 */
export function wrongSchemaDetail(schemaId: number, writer: avro.Type, reader: avro.Type, message: string): string {
  const readerName = reader.name ?? reader.typeName;
  return writer.typeName !== 'record' && reader.typeName === 'record'
    ? notARecordDetail(schemaId, writer, readerName)
    : `schema ${schemaId} (${writer.name ?? writer.typeName}) cannot be read as ${readerName}: ${message}`.slice(
        0,
        500,
      );
}

/** A schema the registry holds as Avro but avsc cannot build (`message`: avsc's reason). */
export function unreadableSchemaDetail(schemaId: number, message: string): string {
  return (
    `schema id ${schemaId} is in the registry but cannot read Avro: ${message}; ` +
    'the producer must register a valid Avro schema and write with its id'
  ).slice(0, 500);
}

/** avsc's message for a long it cannot read as a JavaScript number exactly (safe-types.ts keeps its limit). */
const PRECISION_LOSS = 'potential precision loss';

/**
 * The path of the field whose bytes the body does not hold (a dotted path through nested records), read field by
 * field with the writer's own types from `start`; or where the fields end, when they all read. Only after the body
 * failed to decode: it reads the bytes once more, as boundedly as the first time (the types are safe-types.ts's).
 */
function failingField(type: avro.Type, body: Buffer, start: number, path: string): string | number {
  if (type.typeName === 'record') {
    let pos = start;
    for (const field of (type as avro.types.RecordType).fields) {
      const found = failingField(field.type, body, pos, path ? `${path}.${field.name}` : field.name);
      if (typeof found === 'string') return found;
      pos = found;
    }
    return pos;
  }
  try {
    const { offset } = type.decode(body, start);
    return offset < 0 ? path : offset;
  } catch {
    return path;
  }
}

/** Why the body does not match the writer schema, naming the field where that can be found. */
export function undecodableDetail(schemaId: number, writer: avro.Type, body: Buffer, message: string): string {
  const found = failingField(writer, body, 0, '');
  const field = typeof found === 'string' && found !== '' ? found : undefined;
  const why =
    message === PRECISION_LOSS
      ? `${field ? `field ${field} holds` : 'a field holds'} a long beyond ±(2^53 − 2), which cannot be read ` +
        `exactly as a number (${PRECISION_LOSS})`
      : `${message}${field ? ` (at field ${field})` : ''}`;
  return `Avro body does not match schema ${schemaId}: ${why}`;
}
