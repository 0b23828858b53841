import type { AvroSerde } from '../adapters/registry/serde.js';
import { UNREGISTERED_SCHEMA_ID, type HostileRecord } from '../core/simulate/index.js';

/** Offset of the 4-byte schema id in the Confluent wire format (after the magic byte). */
const SCHEMA_ID_OFFSET = 1;
const HEADER_BYTES = 5;

/** The bytes of a hostile record, as its encoding prescribes (see HostileKind for why each exists). */
export function hostileBytes(record: HostileRecord, serde: AvroSerde, transactionSchemaId: number): Buffer {
  switch (record.encoding) {
    case 'avro':
      return serde.encode(transactionSchemaId, record.value);
    case 'plain-json':
      return Buffer.from(JSON.stringify(record.value), 'utf8');
    case 'unregistered-schema-id': {
      const bytes = serde.encode(transactionSchemaId, record.value);
      bytes.writeUInt32BE(UNREGISTERED_SCHEMA_ID, SCHEMA_ID_OFFSET);
      return bytes;
    }
    case 'truncated-avro': {
      // Half the body always cuts into the string fields, so the Avro reader runs out of bytes.
      const bytes = serde.encode(transactionSchemaId, record.value);
      return bytes.subarray(0, HEADER_BYTES + Math.floor((bytes.length - HEADER_BYTES) / 2));
    }
  }
}
