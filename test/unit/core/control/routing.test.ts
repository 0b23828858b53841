import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROUTING_BUCKETS, routesToChallenger, routingBucket } from '../../../../src/core/control/routing.js';

const customers = Array.from({ length: 20_000 }, (_, i) => `C${String(i).padStart(6, '0')}`);

describe('routing by a salted hash of the customer id', () => {
  it('is the same on every worker of every release: these buckets are pinned', () => {
    // Workers of two releases serve one rollout side by side while a deploy rolls: a changed hash would move
    // customers between champion and challenger mid-stage.
    assert.deepEqual(
      [
        routingBucket('s1', 'C000000'),
        routingBucket('s1', 'C000001'),
        routingBucket('s1', 'C019999'),
        routingBucket('salt-a', 'C000042'),
        routingBucket('card-fraud@2', 'customer-1'),
      ],
      [9104, 3797, 9538, 2499, 6365],
    );
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
    assert.ok(at5.length > 500, `${at5.length} customers at 5 %`);
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
