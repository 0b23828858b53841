import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avro from 'avsc';
import { resolveWriter } from '../../../../src/adapters/registry/resolution.js';

const record = (name: string, fields: object[]) => ({ type: 'record', name, fields });
const READER = record('a.Outer', [
  { name: 'id', type: 'string' },
  { name: 'inner', type: record('a.Inner', [{ name: 'x', type: 'int' }]) },
]);

function resolve(writer: object): ReturnType<typeof resolveWriter> {
  return resolveWriter(READER, avro.Type.forSchema(READER as avro.Schema), avro.Type.forSchema(writer as avro.Schema));
}

describe('resolveWriter', () => {
  it('reads a writer whose record only moved to another namespace', () => {
    const moved = { ...record('b.Outer', READER.fields), namespace: 'b' };
    assert.equal(typeof resolve(moved), 'object');
  });

  it("names the field whose type changed, through nested records, after avsc's message", () => {
    const changed = record('a.Outer', [
      { name: 'id', type: 'string' },
      { name: 'inner', type: record('a.Inner', [{ name: 'x', type: 'string' }]) },
    ]);
    assert.equal(resolve(changed), 'cannot read "string" as "int" (at field inner.x)');
  });

  it('names a field the writer lacks and the reader has no default for once, as avsc does', () => {
    const missing = record('a.Outer', [{ name: 'inner', type: record('a.Inner', [{ name: 'x', type: 'int' }]) }]);
    assert.equal(resolve(missing), 'no matching field for default-less a.Outer.id');
  });
});
