import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addVersion,
  emptyIndex,
  parseRegistryIndex,
  promote,
  referrersOf,
  RegistryRefusal,
  removeVersion,
  resolveVersion,
  type IndexResult,
  type RegistryIndex,
  type VersionEntry,
} from '../../../../src/core/models/registry-index.js';

const AT = '2024-03-01T00:00:00.000Z';

function entry(version: string, rollbackTarget: string | null = null): VersionEntry {
  return {
    version,
    modelSha256: version.padStart(64, '0'),
    cardSha256: 'c'.repeat(64),
    cardMdSha256: 'd'.repeat(64),
    featureSchemaVersion: 'card-baseline-v1+0123456789ab',
    rollbackTarget,
    registeredAt: AT,
  };
}

function value<T>(result: IndexResult<T>): T {
  assert.ok(result.ok, result.ok ? '' : result.message);
  return result.value;
}

function refused<T>(result: IndexResult<T>, code: string): string {
  assert.equal(result.ok, false, 'expected a refusal');
  if (result.ok) return '';
  assert.equal(result.code, code);
  return result.message;
}

function twoVersions(): RegistryIndex {
  const one = value(addVersion(emptyIndex('card-fraud'), entry('1'), undefined, AT));
  return value(addVersion(one, entry('2', 'card-fraud@1'), entry('1'), AT));
}

describe('registry index', () => {
  it('adds versions, derives rollback targets and records history', () => {
    const index = twoVersions();
    assert.deepEqual(
      index.versions.map((v) => v.version),
      ['1', '2'],
    );
    assert.deepEqual(index.rollbackTargets, ['card-fraud@1']);
    assert.deepEqual(
      index.history.map((h) => `${h.action} ${h.version}`),
      ['register 1', 'register 2'],
    );
  });

  it('never replaces a version', () => {
    refused(addVersion(twoVersions(), entry('2'), undefined, AT), RegistryRefusal.VersionExists);
  });

  it('never reuses a version number, even once the version is deleted', () => {
    const registeredAt = '2024-03-02T00:00:00.000Z';
    const deletedAt = '2024-03-04T00:00:00.000Z';
    const three = value(addVersion(twoVersions(), entry('3'), undefined, registeredAt));
    const deleted = value(removeVersion(three, '3', [], deletedAt));
    // Other bytes under the old number: what a retrain that kept --version 3 would bring.
    const retrained: VersionEntry = { ...entry('3'), modelSha256: 'e'.repeat(64) };
    const message = refused(addVersion(deleted, retrained, undefined, AT), RegistryRefusal.VersionReused);
    assert.equal(
      message,
      `model card-fraud@3 was registered at ${registeredAt} and deleted at ${deletedAt}; versions are never reused ` +
        '(workers that loaded the old card-fraud@3 may still serve it, and published scores name it): register ' +
        'under a new version number',
    );
    // The number is taken, not the content: the deleted bytes themselves are refused too.
    refused(addVersion(deleted, entry('3'), undefined, AT), RegistryRefusal.VersionReused);
    assert.deepEqual(value(addVersion(deleted, entry('4'), undefined, AT)).versions.at(-1), entry('4'));
  });

  it('refuses a version the history names even when no delete was recorded', () => {
    // An index edited by hand: the version's entry is gone, its registration is still in the history.
    const index = twoVersions();
    const edited: RegistryIndex = { ...index, versions: index.versions.filter((v) => v.version !== '2') };
    const message = refused(addVersion(edited, entry('2'), undefined, AT), RegistryRefusal.VersionReused);
    assert.ok(message.startsWith(`model card-fraud@2 was registered at ${AT}; versions are never reused`), message);
  });

  it('refuses a rollback target that is not registered', () => {
    const message = refused(
      addVersion(emptyIndex('card-fraud'), entry('1', 'card-fraud@0'), undefined, AT),
      RegistryRefusal.RollbackTargetMissing,
    );
    assert.match(message, /names rollback target card-fraud@0, which is not registered/);
  });

  it('refuses a rollback target trained on another feature schema, naming both and the fix', () => {
    const one = value(addVersion(emptyIndex('card-fraud'), entry('1'), undefined, AT));
    const other = { ...entry('1'), featureSchemaVersion: 'card-baseline-v2+ba9876543210' };
    const message = refused(
      addVersion(one, entry('2', 'card-fraud@1'), other, AT),
      RegistryRefusal.RollbackTargetSchemaMismatch,
    );
    assert.equal(
      message,
      'model card-fraud@2 (feature schema card-baseline-v1+0123456789ab) names rollback target card-fraud@1, trained ' +
        'on feature schema card-baseline-v2+ba9876543210: workers computing card-baseline-v1+0123456789ab would ' +
        'refuse to load it, so the kill switch would fail during an incident; retrain with --rollback-target naming ' +
        'a registered version trained on card-baseline-v1+0123456789ab',
    );
  });

  it('resolves champion and reports when there is none', () => {
    const index = twoVersions();
    assert.match(refused(resolveVersion(index, 'champion'), RegistryRefusal.NoChampion), /fraudscore models promote/);
    const promoted = value(promote(index, '2', AT));
    assert.equal(value(resolveVersion(promoted, 'champion')).version, '2');
    assert.deepEqual(promoted.history.at(-1), { at: AT, action: 'promote', version: '2', previousChampion: null });
    assert.match(refused(resolveVersion(index, '9'), RegistryRefusal.NotFound), /versions: 1, 2/);
  });

  it('refuses to delete the champion or a rollback target, and deletes anything else', () => {
    const index = value(promote(twoVersions(), '2', AT));
    assert.match(refused(removeVersion(index, '2', [], AT), RegistryRefusal.Protected), /is the champion/);
    const referrers = referrersOf([index], 'card-fraud@1');
    assert.deepEqual(referrers, ['card-fraud@2']);
    assert.match(
      refused(removeVersion(index, '1', referrers, AT), RegistryRefusal.Protected),
      /rollback target of card-fraud@2/,
    );
    const three = value(addVersion(index, entry('3'), undefined, AT));
    const after = value(removeVersion(three, '3', [], AT));
    assert.deepEqual(
      after.versions.map((v) => v.version),
      ['1', '2'],
    );
    assert.equal(after.history.at(-1)?.action, 'delete');
  });

  it('records the version a `champion` selector names, never the selector', () => {
    const index = value(promote(twoVersions(), '2', AT));
    // Promoting the champion by its selector changes nothing; the index still names version 2.
    const again = value(promote(index, 'champion', AT));
    assert.equal(again.champion, '2');
    assert.deepEqual(again.history, index.history);
    assert.equal(value(resolveVersion(again, 'champion')).version, '2');
    // Deleting it by its selector is deleting the champion: refused, nothing recorded.
    assert.match(refused(removeVersion(index, 'champion', [], AT), RegistryRefusal.Protected), /@2 is the champion/);
  });

  it('refuses an index with duplicate versions or a dangling champion', () => {
    const index = twoVersions();
    refused(parseRegistryIndex({ ...index, versions: [...index.versions, entry('1')] }, 'r.json'), 'INVALID_INDEX');
    refused(parseRegistryIndex({ ...index, champion: '7' }, 'r.json'), 'INVALID_INDEX');
    assert.deepEqual(value(parseRegistryIndex(JSON.parse(JSON.stringify(index)), 'r.json')), index);
  });
});
