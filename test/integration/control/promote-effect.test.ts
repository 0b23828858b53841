/**
 * `fraudscore models promote <ref> -t <topology>` says what the promotion changes for the topology's workers, read
 * from its control topic on the real Kafka: they follow it when nothing there names a champion, and keep serving the
 * champion a finished rollout named there otherwise (a registry promotion alone used to look like it had worked). A
 * --registry other than the one the workers read is refused before anything changes.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify as stringifyYaml } from 'yaml';
import { controlTopicName } from '../../../src/adapters/kafka/control/index.js';
import { fraudscore } from '../../support/cli.js';
import { deleteTopics, testTopology } from '../../support/stack.js';

describe('models promote -t: what the workers will serve (real Kafka)', () => {
  const { topology } = testTopology();
  // The workers' registry: a copy of the committed one, so that promotions here change nothing else.
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-promote-'));
  const registry = join(dir, 'registry');
  cpSync('registry', registry, { recursive: true });
  const file = join(dir, 'topology.yaml');
  writeFileSync(file, stringifyYaml({ ...topology, model: { ...topology.model, registry, version: 'champion' } }));
  const championIn = (root: string) =>
    (JSON.parse(readFileSync(join(root, 'card-fraud', 'registry.json'), 'utf8')) as { champion: string }).champion;

  after(async () => {
    await deleteTopics([controlTopicName(topology.name)]);
  });

  it('follows a promotion while the control topic names no champion, and says so', () => {
    const promoted = fraudscore(['models', 'promote', 'card-fraud@4', '-t', file]);
    assert.equal(promoted.status, 0, promoted.output);
    assert.equal(championIn(registry), '4');
    assert.match(
      promoted.stdout,
      new RegExp(`the workers of ${topology.name} follow within seconds: card-fraud@4 from their next batch boundary`),
    );
  });

  it('says that a champion a finished rollout named on the control topic keeps serving, and how to move them', () => {
    for (const args of [
      ['rollout', 'start', 'card-fraud@2', '-t', file, '--reason', 'test'],
      ['rollout', 'promote', '-t', file, '--reason', 'test'],
    ]) {
      const run = fraudscore(args);
      assert.equal(run.status, 0, run.output);
    }
    const promoted = fraudscore(['models', 'promote', 'card-fraud@3', '-t', file]);
    assert.equal(promoted.status, 0, promoted.output);
    assert.equal(championIn(registry), '3');
    assert.match(
      promoted.stdout,
      new RegExp(
        `the control topic of ${topology.name} names card-fraud@2 as champion \\(control version \\d+\\), which wins ` +
          `over the registry's: its workers keep serving it \\(to roll card-fraud@3 out to them: fraudscore rollout ` +
          `start card-fraud@3 -t ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`,
      ),
    );
  });

  it('refuses a --registry the workers do not read, before anything changes', () => {
    const before = championIn('registry');
    const refused = fraudscore(['models', 'promote', 'card-fraud@1', '-t', file, '--registry', 'registry']);
    assert.equal(refused.status, 1, refused.output);
    assert.match(refused.stderr, /--registry registry is not the registry the workers of .* read \(model\.registry: /);
    assert.equal(championIn('registry'), before);
    assert.equal(championIn(registry), '3');
  });
});
