import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROUTING_BUCKETS, routesToChallenger, routingBucket } from '../../../../src/core/control/routing.js';

const customers = Array.from({ length: 20_000 }, (_, i) => `C${String(i).padStart(6, '0')}`);

describe('routing by a salted hash of the customer id', () => {
  it('is deterministic: the same customer and salt always give the same bucket', () => {
    for (const id of customers.slice(0, 100)) assert.equal(routingBucket('s1', id), routingBucket('s1', id));
  });

  it('routes close to the stage percent of customers, for every stage', () => {
    for (const percent of [1, 5, 25, 50]) {
      const routed = customers.filter((id) => routesToChallenger('salt-a', id, percent)).length;
      const share = (routed / customers.length) * 100;
      // 20,000 customers: the binomial standard deviation at 50 % is 0.35 points; 1 point is > 2.8 sigma.
      assert.ok(Math.abs(share - percent) < 1, `${percent} %: routed ${share.toFixed(2)} %`);
    }
  });

  it('only adds customers as the stage grows (nobody switches back)', () => {
    const at5 = customers.filter((id) => routesToChallenger('salt-b', id, 5));
    for (const id of at5) assert.ok(routesToChallenger('salt-b', id, 25));
  });

  it('routes nobody at 0 % and everybody at 100 %', () => {
    assert.ok(customers.every((id) => !routesToChallenger('s', id, 0)));
    assert.ok(customers.every((id) => routesToChallenger('s', id, 100)));
  });

  it('gives another rollout (another salt) other customers', () => {
    const a = new Set(customers.filter((id) => routesToChallenger('salt-a', id, 10)));
    const b = customers.filter((id) => routesToChallenger('salt-b', id, 10));
    const overlap = b.filter((id) => a.has(id)).length / b.length;
    assert.ok(overlap < 0.2, `overlap ${overlap}`);
  });

  it('spreads buckets over the whole range', () => {
    const buckets = customers.map((id) => routingBucket('s', id));
    assert.ok(Math.min(...buckets) < 50 && Math.max(...buckets) > ROUTING_BUCKETS - 50);
  });
});
