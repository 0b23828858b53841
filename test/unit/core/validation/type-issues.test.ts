import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import {
  describeTypeIssue,
  JSON_WORDS,
  kindOf,
  typeIssueParams,
  valueAt,
  YAML_WORDS,
} from '../../../../src/core/validation/index.js';

const schema = z.object({
  count: z.number().int(),
  port: z.coerce.number(),
  hosts: z.array(z.string()),
  ref: z.object({ env: z.string() }, { error: (issue) => (issue.code === 'invalid_type' ? 'a reference' : undefined) }),
});

function typeIssues(document: unknown) {
  const result = schema.safeParse(document, typeIssueParams(YAML_WORDS));
  assert.ok(!result.success);
  return Object.fromEntries(
    result.error.issues.map((issue) => [issue.path.join('.'), describeTypeIssue(issue, document)]),
  );
}

describe('type issues', () => {
  it('tells a missing key from a key holding the wrong type, and keeps what was written before any coercion', () => {
    const issues = typeIssues({ count: 7.5, port: 'abc', hosts: 'a:1' });
    assert.deepEqual(issues['count'], {
      missing: false,
      expected: 'a whole number',
      expectedType: 'int',
      found: 7.5,
      received: 7.5,
    });
    assert.equal(issues['port']?.missing, false);
    assert.equal(issues['port']?.missing === false && issues['port'].found, 'abc');
    assert.equal(issues['hosts']?.expected, 'a list');
    // A schema's own message says what it expects, missing or not.
    assert.deepEqual(issues['ref'], { missing: true, expected: 'a reference', expectedType: 'object' });
  });

  it('finds values along a path, and says absent for a key that is not there', () => {
    assert.deepEqual(valueAt({ a: [{ b: null }] }, ['a', 0, 'b']), { present: true, value: null });
    assert.deepEqual(valueAt({ a: [] }, ['a', 0]), { present: false });
    assert.deepEqual(valueAt({ a: 'text' }, ['a', 'length']), { present: false });
  });

  it('names a value by its kind, never by its content', () => {
    assert.equal(kindOf('S3cretPw', YAML_WORDS), 'a string');
    assert.equal(kindOf('1000', YAML_WORDS), 'a string holding a number');
    assert.equal(kindOf(123456, YAML_WORDS), 'a whole number');
    assert.equal(kindOf(['x'], JSON_WORDS), 'an array');
    assert.equal(kindOf({ x: 1 }, YAML_WORDS), 'a mapping');
  });
});
