import { createServer, type Server } from 'node:http';

/** What the stub answers for one id: an Avro schema (an object or a primitive's name), or another type's text. */
export type StubSchema = object | string | { readonly schemaType: 'JSON' | 'PROTOBUF'; readonly schema: string };

export interface StubRegistry {
  /** The base URL to give createAvroSerde. */
  readonly url: string;
  /** The schemas by id; change it to register or forget one. */
  readonly schemas: Map<number, StubSchema>;
  /** How many times each id was asked for (GET /schemas/ids/N). */
  readonly requests: Map<number, number>;
  close(): Promise<void>;
}

function isForeign(schema: StubSchema): schema is { schemaType: 'JSON' | 'PROTOBUF'; schema: string } {
  return typeof schema === 'object' && 'schemaType' in schema;
}

/**
 * A registry that answers only GET /schemas/ids/N, like the Confluent API (404 with error 40403 for an id it does not
 * hold): enough for the serde to read records by id. Only the HTTP answers are stood in for: the client library
 * builds the schemas as it does against a real registry.
 */
export async function startStubRegistry(schemas: Record<number, StubSchema> = {}): Promise<StubRegistry> {
  const held = new Map(Object.entries(schemas).map(([id, schema]) => [Number(id), schema]));
  const requests = new Map<number, number>();
  const server: Server = createServer((request, response) => {
    request.resume();
    const id = Number(/\/schemas\/ids\/(\d+)/.exec(request.url ?? '')?.[1]);
    requests.set(id, (requests.get(id) ?? 0) + 1);
    const schema = request.method === 'GET' ? held.get(id) : undefined;
    const body =
      schema === undefined
        ? { error_code: 40403, message: `Schema ${id} not found` }
        : isForeign(schema)
          ? schema
          : { schema: JSON.stringify(schema) };
    response.writeHead(schema === undefined ? 404 : 200, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    schemas: held,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
