import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openFsRegistry } from '../../../src/adapters/model-registry/index.js';
import type { ModelCard } from '../../../src/core/models/card.js';
import { OutputFormat, simulateToFiles } from '../../../src/simulate/index.js';
import { retrain, RetrainError, WORK_MARKER } from '../../../src/training/retrain.js';
import { fakeModel, makeCard } from '../core/models/card-fixture.js';
import { startCli } from '../../support/cli.js';
import { waitFor } from '../../support/wait-for.js';

/**
 * retrain() up to the trainer, on a registered card that names a tiny simulation: the trainer is replaced by a
 * program that is not Python (true: exits 0, writes nothing), which must be reported as such.
 */
const dir = mkdtempSync(join(tmpdir(), 'fraudscore-retrain-unit-'));
const registry = join(dir, 'registry');
const notPython = ['/usr/bin/true', '/bin/true'].find((path) => existsSync(path))!;

async function registerCard(card: ModelCard): Promise<void> {
  await openFsRegistry(registry).register({
    model: fakeModel(`tiny@${card.version}`),
    card: new TextEncoder().encode(`${JSON.stringify(card, null, 2)}\n`),
    cardMd: new TextEncoder().encode('# tiny\n'),
  });
}

function tinyCard(version = '1'): ModelCard {
  const card = makeCard('tiny', version, fakeModel(`tiny@${version}`));
  return {
    ...card,
    dataset: {
      ...card.dataset,
      rawSource: {
        kind: 'simulate',
        seed: 3,
        customers: 20,
        terminals: 20,
        days: 3,
        start: '2026-01-05T00:00:00Z',
        labelDelayMinHours: 1,
        labelDelayMaxDays: 2,
        genuineLabelRate: 1,
        format: 'jsonl',
      },
      backfill: {
        topology: null,
        labelDelayMs: 7 * 86_400_000,
        latenessMarginMs: null,
        fromMs: null,
        toMs: null,
        labelAsOfMs: null,
        tableFormat: 'csv',
      },
    },
    training: { ...card.training, args: { seed: 1, testDays: 1, thresholdAlertRate: 0.01, reference: null } },
    metrics: { ...card.metrics, reference: null },
  };
}

before(async () => {
  const card = tinyCard();
  await openFsRegistry(registry).register({
    model: fakeModel('tiny@1'),
    card: new TextEncoder().encode(`${JSON.stringify(card, null, 2)}\n`),
    cardMd: new TextEncoder().encode('# tiny\n'),
  });
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('retrain', () => {
  it('says the trainer wrote no model card, naming --python and how it was run, when --python is not Python', async () => {
    const work = join(dir, 'work');
    await assert.rejects(
      retrain({ registry, name: 'tiny', version: '1', work, python: notPython }),
      (error: unknown) => {
        assert.ok(error instanceof RetrainError, String(error));
        assert.match(error.message, new RegExp(`^--python ${notPython}: the trainer exited 0 but wrote no model card`));
        assert.match(error.message, /likely not a Python that runs fraudtrain/);
        assert.match(error.message, new RegExp(`It was run as ${notPython} -m fraudtrain\\.train \\.\\.\\. --out `));
        assert.doesNotMatch(error.message, /ENOENT/);
        return true;
      },
    );
    // What ran before the trainer is in the marked work directory.
    assert.deepEqual(
      readdirSync(work).sort(),
      [WORK_MARKER, 'train-raw', 'train.csv', 'train.csv.manifest.json'].sort(),
    );
  });

  it("simulates the card's drift again: the raw data are the drifted simulation's", async () => {
    const tiny = tinyCard('6');
    const rawSource = {
      ...tiny.dataset.rawSource!,
      drift: 'amount-shift',
      driftFromDay: 1,
      driftAmountFactor: 2.5,
    } as const;
    const card = { ...tiny, dataset: { ...tiny.dataset, rawSource } };
    await openFsRegistry(registry).register({
      model: fakeModel('tiny@6'),
      card: new TextEncoder().encode(`${JSON.stringify(card, null, 2)}\n`),
      cardMd: new TextEncoder().encode('# tiny\n'),
    });
    const work = join(dir, 'work-6');
    await assert.rejects(retrain({ registry, name: 'tiny', version: '6', work, python: notPython }), RetrainError);
    const simulation = {
      seed: 3,
      customers: 20,
      terminals: 20,
      days: 3,
      startMs: Date.UTC(2026, 0, 5),
      labelDelayMinMs: 3_600_000,
      labelDelayMaxMs: 2 * 86_400_000,
      genuineLabelRate: 1,
    };
    const drifted = join(dir, 'drifted');
    const plain = join(dir, 'plain');
    await simulateToFiles({
      outDir: drifted,
      format: OutputFormat.Jsonl,
      simulation: { ...simulation, driftScenario: 'amount-shift', driftFromDay: 1, driftAmountFactor: 2.5 },
    });
    await simulateToFiles({ outDir: plain, format: OutputFormat.Jsonl, simulation });
    const events = (at: string) => readFileSync(join(at, 'events.jsonl'), 'utf8');
    assert.notEqual(events(drifted), events(plain), 'the drift changes the events');
    assert.equal(events(join(work, 'train-raw')), events(drifted));
  });

  it('says which trainer flags record what a card lacks to be retrained', async () => {
    const tiny = tinyCard('2');
    const card = { ...tiny, dataset: { ...tiny.dataset, rawSource: null } };
    await openFsRegistry(registry).register({
      model: fakeModel('tiny@2'),
      card: new TextEncoder().encode(`${JSON.stringify(card, null, 2)}\n`),
      cardMd: new TextEncoder().encode('# tiny\n'),
    });
    await assert.rejects(
      retrain({ registry, name: 'tiny', version: '2', work: join(dir, 'work-2'), python: notPython }),
      (error: unknown) => {
        assert.ok(error instanceof RetrainError, String(error));
        assert.match(error.message, /^tiny@2 cannot be retrained: its card does not record dataset\.rawSource\. /);
        assert.match(error.message, /run with --raw-source and --topology/);
        assert.doesNotMatch(error.message, /trained before/);
        return true;
      },
    );
  });

  it('refuses a version that fails verification before it starts: an edited card would come back unnoticed', async () => {
    await registerCard(tinyCard('3'));
    // The card feeds the trainer (owner, SLO, rollback target): an edit would reappear in the retrained card.
    const path = join(registry, 'tiny', '3', 'card.json');
    const card = JSON.parse(readFileSync(path, 'utf8'));
    card.owner = 'someone-else';
    chmodSync(path, 0o644);
    writeFileSync(path, JSON.stringify(card, null, 2));
    const work = join(dir, 'work-3');
    await assert.rejects(
      retrain({ registry, name: 'tiny', version: '3', work, python: notPython }),
      (error: unknown) => {
        assert.ok(error instanceof RetrainError, String(error));
        assert.match(error.message, /^tiny@3 fails verification, so retrain has no registered version to reproduce: /);
        assert.match(error.message, /card\.json sha256 is [0-9a-f]{64} but the registry recorded/);
        assert.match(
          error.message,
          /Restore its registered files \(`fraudscore models verify tiny@3` says what is wrong/,
        );
        return true;
      },
    );
    assert.equal(existsSync(work), false, 'nothing made');
  });

  it("says the card's simulation produced no events, quoting it, instead of naming an --events file", async () => {
    const tiny = tinyCard('4');
    const rawSource = { ...tiny.dataset.rawSource!, customers: 2, terminals: 1, days: 1 };
    await registerCard({ ...tiny, dataset: { ...tiny.dataset, rawSource } });
    await assert.rejects(
      retrain({ registry, name: 'tiny', version: '4', work: join(dir, 'work-4'), python: notPython }),
      (error: unknown) => {
        assert.ok(error instanceof RetrainError, String(error));
        assert.equal(
          error.message,
          `training: the card's raw source (dataset.rawSource) ${JSON.stringify(rawSource)} produced no events when ` +
            'simulated again (none of its 2 customers has one of its 1 terminals within 5 on the map), so it cannot ' +
            'be the data the model was trained on and retrain has nothing to reproduce: train the model again with ' +
            'a --raw-source naming the data it learns from, and register it under a new version',
        );
        return true;
      },
    );
  });

  it('refuses a --work it must not empty before reading anything, and leaves it as it was', async () => {
    const mine = join(dir, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'keep.txt'), 'mine');
    for (const work of [mine, process.cwd(), '.']) {
      await assert.rejects(
        retrain({ registry: join(dir, 'no-registry'), name: 'tiny', version: '1', work, python: notPython }),
        /^RetrainError: --work .*; retrain empties its work directory on every run: choose an empty or new directory/,
      );
    }
    assert.deepEqual(readdirSync(mine), ['keep.txt']);
  });
});

/** Whether a process runs (a zombie, ended and not yet reaped, does not). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/^\d+ \(.*\) Z /.test(stat);
}

describe('fraudscore retrain, stopped while the trainer runs', () => {
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`by ${signal}: stops the trainer with it, says so, and exits ${code}`, { timeout: 60_000 }, async () => {
      const work = join(dir, `work-${signal}`);
      const pidFile = join(dir, `trainer-${signal}.pid`);
      // A trainer that trains for two minutes: it writes its process id, then waits.
      const trainer = join(dir, `slow-trainer-${signal}.sh`);
      writeFileSync(
        trainer,
        `#!/bin/sh\necho $$ > '${pidFile}.partial'\nmv '${pidFile}.partial' '${pidFile}'\nexec sleep 120\n`,
        {
          mode: 0o755,
        },
      );
      const retraining = startCli(['retrain', 'tiny@1', '--registry', registry, '--work', work, '--python', trainer]);
      try {
        await waitFor('the trainer', () => Promise.resolve(existsSync(pidFile) ? true : undefined), 60_000);
        const pid = Number(readFileSync(pidFile, 'utf8'));
        assert.ok(running(pid), 'the trainer runs');
        // A supervisor's SIGTERM reaches this process alone; so does a Ctrl-C sent with kill(1).
        retraining.child.kill(signal);
        assert.equal(await retraining.exited, code, retraining.output());
        assert.match(
          retraining.output(),
          new RegExp(`retrain: interrupted \\(${signal}\\): stopped, the trainer too if it had started; ${work} keeps`),
        );
        assert.equal(running(pid), false, 'the trainer trains on, orphaned');
      } finally {
        retraining.child.kill('SIGKILL');
      }
    });
  }
});
