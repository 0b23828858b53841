import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RegistryIndex } from '../../../../src/core/models/registry-index.js';
import { championToGoBackTo } from '../../../../src/core/models/way-back.js';

type History = RegistryIndex['history'];
const at = '2026-12-01T00:00:00.000Z';
const register = (version: string): History[number] => ({ at, action: 'register', version });
const promote = (version: string, previousChampion: string | null): History[number] => ({
  at,
  action: 'promote',
  version,
  previousChampion,
});

describe('championToGoBackTo: the way back the registry history gives the kill switch', () => {
  it('is the older champion a promotion replaced', () => {
    const history = [register('1'), promote('1', null), register('5'), promote('5', '1')];
    assert.equal(championToGoBackTo(history, '5'), '1');
    assert.equal(championToGoBackTo(history, '1'), null, 'the first champion replaced none');
  });

  it('is never the newer champion a rollback replaced: that is the model rolled back from', () => {
    const history = [register('1'), promote('1', null), register('5'), promote('5', '1'), promote('1', '5')];
    assert.equal(championToGoBackTo(history, '1'), null);
  });

  it("passes over a rollback for the older champion an earlier promotion replaced, the version's own way back", () => {
    const history = [
      ...[register('1'), promote('1', null), register('2'), promote('2', '1')],
      ...[register('3'), promote('3', '2'), promote('2', '3')],
    ];
    assert.equal(championToGoBackTo(history, '2'), '1');
  });

  it("passes over a deleted champion for an earlier promotion's, or gives none", () => {
    const deleted = (version: string): History[number] => ({ at, action: 'delete', version });
    const once = [register('1'), promote('1', null), register('2'), promote('2', '1')];
    assert.equal(championToGoBackTo([...once, deleted('1')], '2'), null, 'its files are gone');
    const history = [
      ...[register('1'), register('2'), register('3'), promote('1', null), promote('3', '1')],
      ...[promote('2', '3'), promote('3', '2'), deleted('2')],
    ];
    assert.equal(championToGoBackTo(history, '3'), '1');
  });

  it('orders versions by registration, not by how their names sort', () => {
    const history = [register('b'), promote('b', null), register('a'), promote('a', 'b'), promote('b', 'a')];
    assert.equal(championToGoBackTo(history, 'a'), 'b');
    assert.equal(championToGoBackTo(history, 'b'), null);
  });

  it('is null for a version or a previous champion the history never registered', () => {
    assert.equal(championToGoBackTo([promote('2', '1')], '2'), null);
    assert.equal(championToGoBackTo([register('2'), promote('2', '1')], '2'), null);
  });
});
