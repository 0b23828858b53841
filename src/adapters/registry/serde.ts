import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { displayUrl, type RegistryConnection } from '../../config/index.js';
import type { CompatibilityLevel } from '../../core/contract/compatibility.js';
import { DeadLetterReason } from '../../core/contract/reasons.js';
import { safeTypes } from './safe-types.js';
import {
  foreignSchemaDetail,
  notARecordDetail,
  undecodableDetail,
  unreadableSchemaDetail,
  wrongSchemaDetail,
} from './schema-kinds.js';
import { resolveWriter, type Resolution } from './resolution.js';
import { authorizationHeader, registryRequest, RegistryUnavailableError, unexpected } from './registry-http.js';

export { RegistryUnavailableError } from './registry-http.js';

/** Confluent wire format: magic byte 0, a big-endian 4-byte schema id, then the Avro body. */
const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;

export type DecodeResult =
  | { readonly ok: true; readonly schemaId: number; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly reason: DeadLetterReason; readonly detail: string };

export interface AvroSerde {
  /**
   * Registers (or finds) the schema under the subject and returns its id; schemas are cached by id afterwards. Only
   * registers, as any Confluent producer does: the subject's compatibility level is left as it is (subjects.ts decides
   * about levels). A registration the subject's level refuses throws, naming the subject and the registry's answer.
   */
  register(subject: string, schema: object): Promise<number>;
  /** Encodes with a schema id obtained from register(); synchronous, no network. */
  encode(schemaId: number, value: unknown): Buffer;
  /** Decodes wire-format bytes. Bad bytes give a reason; only an unreachable registry throws. */
  decode(bytes: Buffer | null): Promise<DecodeResult>;
  /**
   * Looks up, once, every schema id the values name, so that decodeSync can run a whole batch without awaiting per
   * record (a promise per record costs more than the Avro decoding itself). An id the registry did not know is asked
   * about again once UNKNOWN_ID_RECHECK_MS have passed, so one registered late is read soon after.
   */
  prepare(values: readonly (Buffer | null)[]): Promise<void>;
  /**
   * As decode, for values whose schema ids prepare() has seen. Given `reader` (the contract schema the topic carries),
   * the value is read as that schema by Avro schema resolution: fields a newer writer added are dropped, fields it
   * lacks take the reader's defaults, and a writer schema that cannot be read so (another subject's record, a changed
   * field type) gives WRONG_SCHEMA.
   */
  decodeSync(bytes: Buffer | null, reader?: object): DecodeResult;
  /** Sets the subject's own compatibility level. */
  setCompatibility(subject: string, level: CompatibilityLevel): Promise<void>;
  /**
   * What the id means in the registry now, compared with `schema`: the same schema, another one, or none. Throws
   * RegistryUnavailableError when the registry does not answer. One HTTP request, never cached: it exists to notice a
   * registry that lost its state (ids restart at 1 on an in-memory registry) or reassigned an id.
   */
  describeId(schemaId: number, schema: object): Promise<'same' | 'other' | 'missing'>;
  /**
   * The registry lost or reassigned ids: from now on ids are looked up again (the client library's cache too), and
   * an id the registry no longer knows decodes with the schema it had before, since a record naming it was written
   * before the loss. Ids used for encode() must be registered again.
   */
  forgetIds(): void;
}

/**
 * The client library refuses a schema the registry holds but avsc cannot build (a union default that does not match
 * its first branch, which registries accept unless they validate defaults) or one of another schema type: a property
 * of the id, never of the registry's health. Its other errors are HTTP answers or failed requests.
 */
function isUnreadableSchema(error: unknown): boolean {
  return (error as Error | null)?.name === 'ConfluentSchemaRegistryArgumentError';
}

/**
 * How long an id the registry did not know is taken as unknown before the registry is asked again. A producer may
 * write before its registration is visible to this worker (a registry replica lagging, a race between registering and
 * producing): its valid records are dead-lettered UNKNOWN_SCHEMA_ID meanwhile, so the wait is short. Yet records that
 * name a truly unknown id may come by the thousand, and each batch looks its ids up (prepare()): without the wait every
 * batch holding such a record would ask the registry again. 10 s bounds both: an id registered late is honoured at most
 * 10 s after the registry first said it did not know it, and a flood of unknown ids costs one request an id per 10 s.
 */
export const UNKNOWN_ID_RECHECK_MS = 10_000;

export interface AvroSerdeOptions {
  /** Milliseconds on a monotonic clock, for UNKNOWN_ID_RECHECK_MS; injected by tests. */
  readonly clock?: () => number;
}

function isNotFound(error: unknown): boolean {
  const status = (error as { status?: number } | null)?.status;
  return status === 404 || /not found/i.test(String((error as Error)?.message ?? ''));
}

/**
 * The Confluent API's error code for "no schema with this id", in the JSON body of its 404; Apicurio's ccompat API
 * answers the same for an id it holds no content for. A 404 without it is not the registry speaking: an ingress or
 * proxy in front of a registry that is restarting ("404 page not found"), or a wrong base path.
 */
const SCHEMA_NOT_FOUND_ERROR_CODE = 40403;

export function createAvroSerde(connection: RegistryConnection, options: AvroSerdeOptions = {}): AvroSerde {
  const clock = options.clock ?? (() => performance.now());
  const auth =
    connection.username !== undefined
      ? { username: connection.username, password: connection.password ?? '' }
      : undefined;
  // Every type that decodes is built with safeTypes (safe-types.ts): avsc alone mis-reads some hostile bytes.
  const registry = new SchemaRegistry(
    { host: connection.url, ...(auth ? { auth } : {}), retry: { retries: 2 } },
    { [SchemaType.AVRO]: { typeHook: safeTypes } },
  );
  const types = new Map<number, avro.Type>();
  /**
   * Reader schema -> its type, and the resolution of each writer type seen: the type to read as and its resolver, or
   * an error message if there is none.
   */
  const readers = new WeakMap<object, { type: avro.Type; resolutions: WeakMap<avro.Type, Resolution | string> }>();
  /** Ids the registry said it does not know, and when it said so (see UNKNOWN_ID_RECHECK_MS). */
  const unknownIds = new Map<number, number>();
  /** Ids the registry knows as schemas of another type (JSON Schema, Protobuf): that type, for the dead letter. */
  const foreignIds = new Map<number, SchemaType>();
  /** Ids the registry knows whose schema cannot read Avro (see isUnreadableSchema): why, for the dead letter. */
  const unreadableIds = new Map<number, string>();
  /** Fingerprints (of the parsing canonical form) of the schemas describeId() compares with. */
  const fingerprints = new WeakMap<object, Buffer>();
  /** What ids meant before forgetIds(): the fallback for ids the registry no longer knows. */
  const forgotten = new Map<number, avro.Type>();
  /** Where encode() writes; grown when a value does not fit. */
  let scratch = Buffer.allocUnsafe(16 * 1024);

  function readerOf(reader: object) {
    let entry = readers.get(reader);
    if (!entry) {
      const readerType = avro.Type.forSchema(reader as avro.Schema, { typeHook: safeTypes });
      entry = { type: readerType, resolutions: new WeakMap() };
      readers.set(reader, entry);
    }
    return entry;
  }

  async function registrySaysUnknown(schemaId: number): Promise<boolean> {
    const response = await registryRequest(connection, 'GET', `/schemas/ids/${schemaId}`);
    const code = (response.body as { error_code?: unknown } | undefined)?.error_code;
    return response.status === 404 && code === SCHEMA_NOT_FOUND_ERROR_CODE;
  }

  async function typeFor(schemaId: number): Promise<avro.Type | undefined> {
    const cached = types.get(schemaId);
    if (cached) return cached;
    if (unreadableIds.has(schemaId) || foreignIds.has(schemaId)) return undefined;
    const unknownSince = unknownIds.get(schemaId);
    if (unknownSince !== undefined && clock() - unknownSince < UNKNOWN_ID_RECHECK_MS) return undefined;
    try {
      const schema = await registry.getSchema(schemaId);
      // For Avro the client library hands back a ready avsc Type built from the writer's schema; for JSON Schema and
      // Protobuf objects of its own, which have a fromBuffer too. The registry's schemaType, which the library keeps
      // in its cache beside the schema it built, tells them apart.
      const kind = registry.cache.getSchema(schemaId)?.type ?? SchemaType.UNKNOWN;
      if (kind !== SchemaType.AVRO) {
        foreignIds.set(schemaId, kind);
        return undefined;
      }
      const type = schema as unknown as avro.Type;
      types.set(schemaId, type);
      unknownIds.delete(schemaId);
      return type;
    } catch (error) {
      if (isUnreadableSchema(error)) {
        // Schemas under an id never change: the answer holds for the process's life.
        unreadableIds.set(schemaId, (error as Error).message);
        return undefined;
      }
      if (isNotFound(error)) {
        const before = forgotten.get(schemaId);
        if (before) {
          types.set(schemaId, before);
          return before;
        }
        // The client library keeps only the message of an error's body: asked again to read the registry's own code.
        // Records are dead-lettered (and committed) only on the registry's word; any other answer retries the batch.
        if (await registrySaysUnknown(schemaId)) {
          unknownIds.set(schemaId, clock());
          return undefined;
        }
        throw new RegistryUnavailableError(
          `schema registry at ${displayUrl(connection.url)} answered HTTP 404 for schema ${schemaId} without the ` +
            `registry's "schema not found" (error_code ${SCHEMA_NOT_FOUND_ERROR_CODE}): a proxy in front of a ` +
            'registry that is not up, or a URL that is not the API base; retrying',
          { cause: error },
        );
      }
      throw new RegistryUnavailableError(
        `schema registry at ${displayUrl(connection.url)} did not answer for schema ${schemaId}`,
        {
          cause: error,
        },
      );
    }
  }

  const serde: AvroSerde = {
    async register(subject, schema) {
      // Not the client library's register(): it refuses any subject whose level is not the one it was given
      // (BACKWARD by default), so it cannot register under a subject an upstream team keeps at FULL.
      const path = `/subjects/${encodeURIComponent(subject)}/versions`;
      const response = await registryRequest(connection, 'POST', path, { schema: JSON.stringify(schema) });
      const id = (response.body as { id?: unknown } | undefined)?.id;
      if (response.status !== 200 || typeof id !== 'number') {
        const name = (schema as { name?: unknown }).name;
        throw new Error(
          `registering schema ${String(name ?? '(unnamed)')} under subject ${subject} failed: ${unexpected('POST', path, response)}` +
            (response.status === 409
              ? ' (incompatible with the schemas the subject holds, at its compatibility level)'
              : ''),
        );
      }
      types.set(id, avro.Type.forSchema(schema as avro.Schema, { typeHook: safeTypes }));
      return id;
    },
    encode(schemaId, value) {
      const type = types.get(schemaId);
      if (!type) throw new Error(`schema ${schemaId} is not registered in this process; call register() first`);
      // Written behind the header in a scratch buffer kept for the process, then copied once into a buffer of its
      // own from Node's small-buffer pool: avsc's toBuffer() would allocate a fresh zero-filled buffer per record.
      let end = type.encode(value, scratch, HEADER_BYTES);
      while (end < 0) {
        scratch = Buffer.allocUnsafe(Math.max(2 * scratch.length, scratch.length - end));
        end = type.encode(value, scratch, HEADER_BYTES);
      }
      scratch.writeUInt8(MAGIC_BYTE, 0);
      scratch.writeUInt32BE(schemaId, 1);
      const out = Buffer.allocUnsafe(end);
      scratch.copy(out, 0, 0, end);
      return out;
    },
    async decode(bytes) {
      await serde.prepare([bytes]);
      return serde.decodeSync(bytes);
    },
    async prepare(values) {
      const ids = new Set<number>();
      for (const bytes of values) {
        if (bytes && bytes.length >= HEADER_BYTES && bytes[0] === MAGIC_BYTE) ids.add(bytes.readUInt32BE(1));
      }
      for (const id of ids) await typeFor(id);
    },
    decodeSync(bytes, reader) {
      if (bytes === null || bytes.length === 0) {
        return { ok: false, reason: DeadLetterReason.MissingValue, detail: 'record has no value (null or empty)' };
      }
      if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC_BYTE) {
        return {
          ok: false,
          reason: DeadLetterReason.NotWireFormat,
          detail: `value is not Confluent wire format (needs magic byte 0 and a 4-byte schema id; got ${bytes.length} bytes starting 0x${bytes.subarray(0, 1).toString('hex')})`,
        };
      }
      const schemaId = bytes.readUInt32BE(1);
      const type = types.get(schemaId);
      if (!type) {
        const foreign = foreignIds.get(schemaId);
        if (foreign !== undefined) {
          return {
            ok: false,
            reason: DeadLetterReason.WrongSchema,
            detail: foreignSchemaDetail(schemaId, foreign, reader && readerOf(reader).type.name),
          };
        }
        const unreadable = unreadableIds.get(schemaId);
        if (unreadable !== undefined) {
          return {
            ok: false,
            reason: DeadLetterReason.WrongSchema,
            detail: unreadableSchemaDetail(schemaId, unreadable),
          };
        }
        if (!unknownIds.has(schemaId)) throw new Error(`schema ${schemaId} was not prepared; call prepare() first`);
        return {
          ok: false,
          reason: DeadLetterReason.UnknownSchemaId,
          detail: `schema id ${schemaId} is not known to the registry; producers must register their schema`,
        };
      }
      let readAs = type;
      let resolver: avro.Resolver | undefined;
      if (reader) {
        const entry = readerOf(reader);
        let resolution = entry.resolutions.get(type);
        if (resolution === undefined) {
          resolution = resolveWriter(reader, entry.type, type);
          entry.resolutions.set(type, resolution);
        }
        if (typeof resolution === 'string') {
          return {
            ok: false,
            reason: DeadLetterReason.WrongSchema,
            detail: wrongSchemaDetail(schemaId, type, entry.type, resolution),
          };
        }
        readAs = resolution.readAs;
        resolver = resolution.resolver;
      }
      const body = bytes.subarray(HEADER_BYTES);
      try {
        const value = readAs.fromBuffer(body, resolver) as unknown;
        if (value === null || typeof value !== 'object') {
          return {
            ok: false,
            reason: DeadLetterReason.WrongSchema,
            detail: notARecordDetail(schemaId, type, undefined),
          };
        }
        return { ok: true, schemaId, value: value as Record<string, unknown> };
      } catch (error) {
        return {
          ok: false,
          reason: DeadLetterReason.UndecodableBody,
          detail: undecodableDetail(schemaId, type, body, String((error as Error | null)?.message ?? error)).slice(
            0,
            500,
          ),
        };
      }
    },
    async setCompatibility(subject, level) {
      const path = `/config/${encodeURIComponent(subject)}`;
      const response = await registryRequest(connection, 'PUT', path, { compatibility: level });
      if (response.status !== 200) {
        throw new RegistryUnavailableError(
          `setting compatibility ${level} on subject ${subject} failed: ${unexpected('PUT', path, response)}`,
        );
      }
    },
    async describeId(schemaId, schema) {
      let response: Response;
      try {
        // Short: a batch may wait for this answer, and a registry that hangs must not hold batches for long.
        response = await fetch(`${connection.url}/schemas/ids/${schemaId}`, {
          headers: authorizationHeader(connection),
          signal: AbortSignal.timeout(2_000),
        });
      } catch (error) {
        throw new RegistryUnavailableError(`schema registry at ${displayUrl(connection.url)} did not answer`, {
          cause: error,
        });
      }
      if (response.status === 404) {
        await response.body?.cancel();
        return 'missing';
      }
      if (!response.ok) {
        throw new RegistryUnavailableError(`schema registry answered HTTP ${response.status} for schema ${schemaId}`);
      }
      const { schema: found } = (await response.json()) as { schema: string };
      let expected = fingerprints.get(schema);
      if (!expected) fingerprints.set(schema, (expected = avro.Type.forSchema(schema as avro.Schema).fingerprint()));
      return avro.Type.forSchema(JSON.parse(found) as avro.Schema)
        .fingerprint()
        .equals(expected)
        ? 'same'
        : 'other';
    },
    forgetIds() {
      for (const [id, type] of types) forgotten.set(id, type);
      types.clear();
      unknownIds.clear();
      unreadableIds.clear();
      foreignIds.clear();
      registry.cache.clear();
    },
  };
  return serde;
}
