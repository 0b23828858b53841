/** The parts of an Avro record schema the contract document shows. */
export interface AvroField {
  readonly name: string;
  readonly type: unknown;
  readonly default?: unknown;
  readonly doc?: string;
}

export interface AvroRecord {
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly fields: readonly AvroField[];
}

/** An Avro type as a reader would say it: `string or null`, `map of double`, `enum APPROVE, REVIEW, BLOCK`. */
export function describeAvroType(type: unknown): string {
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const branches = type.map(describeAvroType);
    const nullable = branches.includes('null');
    const rest = branches.filter((b) => b !== 'null').join(' or ');
    return nullable ? `${rest} or null` : rest;
  }
  const t = type as { type?: string; logicalType?: string; values?: unknown; items?: unknown; symbols?: string[] };
  if (t.logicalType) return `${t.logicalType} (${String(t.type)})`;
  if (t.type === 'map') return `map of ${describeAvroType(t.values)}`;
  if (t.type === 'array') return `array of ${describeAvroType(t.items)}`;
  if (t.type === 'enum') return `enum ${(t.symbols ?? []).join(', ')}`;
  return String(t.type);
}

/** One markdown table row per field: name, type, required or its default, and the schema's own doc. */
export function fieldTable(schema: AvroRecord): string[] {
  const rows = schema.fields.map((f) => {
    const presence = 'default' in f ? `optional, default \`${JSON.stringify(f.default)}\`` : 'required';
    return `| \`${f.name}\` | ${describeAvroType(f.type)} | ${presence} | ${f.doc ?? ''} |`;
  });
  return ['| field | type | presence | meaning |', '| --- | --- | --- | --- |', ...rows];
}
