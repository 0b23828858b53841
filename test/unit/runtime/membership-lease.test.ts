import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MembershipLease } from '../../../src/runtime/membership-lease.js';

/** A lease of 25 s, standstills over 1 s, 2 s of grace; the clock moves only when told. */
function lease() {
  let now = 1_000_000;
  const membership = new MembershipLease(() => now, 25_000, { stallMs: 1_000, graceMs: 2_000 });
  const advance = (ms: number, { ticking }: { ticking: boolean }) => {
    for (let step = 0; step < ms; step += 100) {
      now += Math.min(100, ms - step);
      if (ticking) membership.tick();
    }
  };
  return { membership, advance };
}

describe('MembershipLease', () => {
  it('lapses when nothing confirms the membership for longer than the lease, and a confirmation renews it', () => {
    const { membership, advance } = lease();
    advance(24_000, { ticking: true });
    assert.equal(membership.lapsed(), false);
    advance(2_000, { ticking: true });
    assert.equal(membership.lapsed(), true);
    membership.confirmed();
    assert.equal(membership.lapsed(), false);
  });

  it('credits a confirmation read right after a standstill to its start: it may answer a heartbeat sent before', () => {
    const { membership, advance } = lease();
    advance(5_000, { ticking: true });
    advance(33_000, { ticking: false }); // SIGSTOP for 33 s, longer than the session
    assert.equal(membership.confirmed(), false, 'read before the ticker ran again: not as of now');
    assert.equal(membership.lapsed(), true, 'read before the ticker noticed the standstill');
    membership.tick();
    assert.equal(membership.confirmed(), false, 'read after the ticker ran, within the grace: not as of now');
    assert.equal(membership.lapsed(), true, 'read within the grace after the standstill');
    advance(2_100, { ticking: true });
    assert.equal(membership.confirmed(), true, 'a heartbeat sent after the standstill');
    assert.equal(membership.lapsed(), false, 'a confirmation after the grace counts from now');
  });

  it('a short standstill costs nothing: the confirmation counts from its start, well within the lease', () => {
    const { membership, advance } = lease();
    advance(10_000, { ticking: true });
    advance(1_500, { ticking: false }); // a long pause
    membership.tick();
    membership.confirmed();
    advance(20_000, { ticking: true });
    assert.equal(membership.lapsed(), false);
  });
});
