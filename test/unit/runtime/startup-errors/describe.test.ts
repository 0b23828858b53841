import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chain, networkFailure } from '../../../../src/runtime/startup-errors/describe.js';

describe('start-up errors: shared descriptions', () => {
  it('networkFailure reads the socket code from code, a folded message, or kafkajs/http wording', () => {
    const found = (error: unknown) => networkFailure(chain(error))?.code;
    assert.equal(found(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), 'ECONNREFUSED');
    assert.equal(
      found(new Error('Confluent_Schema_Registry - Error, status 400: getaddrinfo ENOTFOUND sr')),
      'ENOTFOUND',
    );
    assert.equal(found(new Error('Connection timeout')), 'ETIMEDOUT');
    assert.equal(found(new Error('status 400: socket hang up')), 'ECONNRESET');
    // fetch: TypeError("fetch failed") whose cause carries the code.
    assert.equal(
      found(new TypeError('fetch failed', { cause: Object.assign(new Error('c'), { code: 'EHOSTUNREACH' }) })),
      'EHOSTUNREACH',
    );
    // fetch past its AbortSignal.timeout(): our RegistryUnavailableError wraps the DOMException.
    const timedOut = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    assert.equal(found(new Error('schema registry did not answer', { cause: timedOut })), 'ETIMEDOUT');
    assert.equal(found(new DOMException('This operation was aborted', 'AbortError')), undefined, 'not a timeout');
    assert.equal(found(new Error('disk full')), undefined);
    assert.equal(found(Object.assign(new Error('x'), { code: 'EACCES' })), undefined, 'not a network code');
  });
});
