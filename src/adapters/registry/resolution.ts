import avro from 'avsc';
import { safeTypes } from './safe-types.js';

/** A full name's last part: `Transaction` of `fraudscore.v1.Transaction`. */
function unqualified(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

/**
 * The field (a dotted path through nested records) whose writer type the reader cannot read, or that the writer lacks
 * and the reader has no default for: avsc's message for a changed type (`cannot read "string" as "double"`) names
 * neither field nor record, and an on-call engineer needs the field.
 */
function fieldAtFault(reader: avro.Type, writer: avro.Type, path: string): string | undefined {
  if (!(reader instanceof avro.types.RecordType) || !(writer instanceof avro.types.RecordType)) return undefined;
  for (const field of reader.fields) {
    const names = [field.name, ...field.aliases];
    const written = writer.fields.find((candidate) => names.includes(candidate.name));
    const at = path ? `${path}.${field.name}` : field.name;
    if (!written) {
      if (field.defaultValue() === undefined) return at;
      continue;
    }
    try {
      field.type.createResolver(written.type);
    } catch {
      return fieldAtFault(field.type, written.type, at) ?? at;
    }
  }
  return undefined;
}

/** avsc's message, with the field at fault when it can be found (fieldAtFault). */
function explained(error: unknown, reader: avro.Type, writer: avro.Type): string {
  const message = (error as Error).message;
  const field = fieldAtFault(reader, writer, '');
  // avsc names a missing field itself, by its full name.
  return field === undefined || message.endsWith(`.${field}`) ? message : `${message} (at field ${field})`;
}

/** How to read what a writer wrote as the reader: the type to read as and avsc's resolver. */
export interface Resolution {
  readonly readAs: avro.Type;
  readonly resolver: avro.Resolver;
}

/**
 * How to read what `writer` wrote as `reader` (the type of `readerSchema`): avsc's resolution, or its error message.
 * Avro's rule for records is the same unqualified name, which the registry's compatibility check applies too; avsc
 * asks for the full name (or an alias), so a writer whose record only moved to another namespace, which every
 * compatibility level accepts, would be unreadable. Such a writer is read as the reader with the writer's full name
 * as an alias. Pure: the decoder (serde.ts) and the start-up check of a subject's versions (version-readability.ts)
 * decide readability with this one function, so the check finds exactly what decoding would dead-letter.
 */
export function resolveWriter(readerSchema: object, reader: avro.Type, writer: avro.Type): Resolution | string {
  try {
    return { readAs: reader, resolver: reader.createResolver(writer) };
  } catch (error) {
    const moved =
      reader.typeName === 'record' &&
      writer.typeName === 'record' &&
      reader.name !== undefined &&
      writer.name !== undefined &&
      reader.name !== writer.name &&
      unqualified(reader.name) === unqualified(writer.name);
    if (!moved) return explained(error, reader, writer);
    try {
      const schema = readerSchema as { aliases?: readonly string[] };
      const aliased = avro.Type.forSchema(
        { ...schema, aliases: [...(schema.aliases ?? []), writer.name as string] } as avro.Schema,
        { typeHook: safeTypes },
      );
      return { readAs: aliased, resolver: aliased.createResolver(writer) };
    } catch (aliasedError) {
      return explained(aliasedError, reader, writer);
    }
  }
}
