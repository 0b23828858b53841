import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  appliedEntry,
  EMPTY_VIEW,
  entryToReappend,
  foldControlEntry,
  foldControlLog,
  INITIAL_SERVING_STATE,
  killSwitchOn,
  nextRecord,
  setBatchWindow,
  startShadow,
  type ControlLogItem,
  type ControlRecord,
  type ControlView,
  type Transition,
} from '../../../../src/core/control/index.js';

const TOPOLOGY = 'card';

/** An entry as the Kafka reader yields it: `name` stands in for the offset, to say which entry a function picked. */
interface Entry extends ControlLogItem {
  readonly name: string;
}

function record(view: ControlView, transition: Transition, actor: string): ControlRecord {
  assert.ok(transition.ok, transition.ok ? '' : transition.problem);
  return nextRecord(view, TOPOLOGY, transition, { actor, reason: 'r', nowMs: 1 });
}
const batch = (maxRecords: number) => ({ maxRecords, maxWaitMs: null, minRecords: null });
const written = (name: string, rec: ControlRecord): Entry => ({ name, record: rec, copy: false });
const copied = (name: string, of: Entry): Entry => ({ name, record: of.record, copy: true });

// Two operators read version 1 and write version 2 at once: the kill switch lands first, the shadow start second.
const v1 = written('v1', record(EMPTY_VIEW, setBatchWindow(INITIAL_SERVING_STATE, batch(500)), 'ops'));
const atV1 = foldControlLog([v1], TOPOLOGY);
const won = written(
  'won',
  record(atV1, killSwitchOn(atV1.state, { reason: 'incident', target: 'card-fraud@1', nowMs: 2 }), 'alice'),
);
const lost = written(
  'lost',
  record(
    atV1,
    startShadow(atV1.state, { model: 'card-fraud@2', champion: 'card-fraud@1', salt: 's', nowMs: 3 }),
    'bob',
  ),
);
const next = written(
  'next',
  record(foldControlLog([v1, won], TOPOLOGY), setBatchWindow(won.record!.state, batch(600)), 'carol'),
);

/**
 * What a reader started after the cleaner ran sees: the cleaner never touches the active segment (from `activeFrom`
 * on) and keeps, of the closed segments before it, only the last record (one key).
 */
function compacted(entries: readonly Entry[], activeFrom: number): Entry[] {
  return activeFrom === 0 ? [...entries] : [entries[activeFrom - 1]!, ...entries.slice(activeFrom)];
}

/** Asserts that every compaction of `entries` folds to what a reader of the whole log holds. */
function assertCompactionAgrees(entries: readonly Entry[]): void {
  const live = foldControlLog(entries, TOPOLOGY);
  for (let activeFrom = 0; activeFrom <= entries.length; activeFrom++) {
    const seen = compacted(entries, activeFrom);
    assert.deepEqual(
      foldControlLog(seen, TOPOLOGY).record,
      live.record,
      `segment closed before ${entries[activeFrom]?.name ?? 'the end'}: ${seen.map((e) => e.name).join(', ')}`,
    );
  }
}

describe('keeping the control log safe from compaction', () => {
  it('a losing record left last would be what compaction keeps: the winner is to be re-appended', () => {
    const log = [v1, won, lost];
    assert.equal(foldControlLog(log, TOPOLOGY).record, won.record, 'live readers apply the first of version 2');
    assert.equal(foldControlLog(compacted(log, log.length), TOPOLOGY).record, lost.record, 'the defect itself');
    assert.equal(entryToReappend(log, TOPOLOGY), won);
  });

  it('once the copy is last, nothing more is re-appended and every compaction agrees with live readers', () => {
    const log = [v1, won, lost, copied('copy', won)];
    assert.equal(entryToReappend(log, TOPOLOGY), null);
    assertCompactionAgrees(log);
  });

  it('a copy that landed behind a newer version is itself followed by a copy of the newer one', () => {
    const log = [v1, won, lost, next, copied('late copy', won)];
    assert.equal(foldControlLog(log, TOPOLOGY).record, next.record, 'a copy of an older version changes nothing');
    assert.equal(entryToReappend(log, TOPOLOGY), next);
    assertCompactionAgrees([...log, copied('copy of next', next)]);
  });

  it('re-appends nothing when the log ends with what readers apply, or holds nothing to apply', () => {
    assert.equal(entryToReappend([v1, won], TOPOLOGY), null);
    assert.equal(entryToReappend([], TOPOLOGY), null);
    const garbage: Entry = { name: 'garbage', record: null, copy: false };
    assert.equal(entryToReappend([garbage], TOPOLOGY), null);
    // A losing record equal to the winner (same change, same moment) keeps the same state after compaction.
    assert.equal(entryToReappend([v1, won, written('twin', won.record!)], TOPOLOGY), null);
  });

  it('re-appends the applied record when an unreadable or foreign record ends the log', () => {
    assert.equal(entryToReappend([v1, won, { name: 'garbage', record: null, copy: false }], TOPOLOGY), won);
    const foreign = written('foreign', { ...won.record!, topology: 'other' });
    assert.equal(entryToReappend([v1, won, foreign], TOPOLOGY), won);
  });

  it('tells a writer whether its record is the one readers applied for its version, also after compaction', () => {
    const log = [v1, won, lost, next];
    assert.equal(appliedEntry(log, TOPOLOGY, 2), won);
    assert.equal(appliedEntry(log, TOPOLOGY, 3), next);
    assert.equal(appliedEntry(log, TOPOLOGY, 4), null);
    // The cleaner kept the losing record (its segment closed before the copy): the copy restores the winner.
    const copy = copied('copy', won);
    assert.equal(appliedEntry([lost, copy], TOPOLOGY, 2), copy);
  });
});

describe('folding a copy', () => {
  it('changes nothing for a reader that holds the record it copies, or a newer one', () => {
    const view = foldControlLog([v1, won], TOPOLOGY);
    assert.equal(foldControlEntry(view, copied('copy', won), TOPOLOGY), view, 'no new view, so no re-apply');
    const newer = foldControlLog([v1, won, next], TOPOLOGY);
    assert.equal(foldControlEntry(newer, copied('copy', won), TOPOLOGY), newer);
  });

  it('replaces a losing record of its version, but a plain record of that version does not', () => {
    const afterCleaner = foldControlLog([lost], TOPOLOGY);
    assert.equal(foldControlEntry(afterCleaner, copied('copy', won), TOPOLOGY).record, won.record);
    assert.equal(foldControlEntry(afterCleaner, won, TOPOLOGY), afterCleaner, 'first of a version wins');
    const foreign = copied('foreign', written('x', { ...won.record!, topology: 'other' }));
    assert.equal(foldControlEntry(afterCleaner, foreign, TOPOLOGY), afterCleaner);
  });
});

/**
 * The writers' protocol (src/adapters/kafka/control/topic.ts `appendControl`) played over every interleaving of two
 * writers racing for one version, each of which may stop right after its write, followed by the next change: read,
 * re-append the applied record if the log does not end with it, write, read, re-append again.
 */
describe('the write protocol under compaction', () => {
  type Step = 'read' | 'reappend' | 'write';
  const STEPS: readonly Step[] = ['read', 'reappend', 'write', 'read', 'reappend'];
  interface Writer {
    readonly name: string;
    readonly maxRecords: number;
    readonly steps: number;
  }

  /** Every merge of the two writers' step sequences, as the order in which they take turns. */
  function* interleavings(a: number, b: number, order: string[] = []): Generator<string[]> {
    if (a === 0 && b === 0) yield order;
    if (a > 0) yield* interleavings(a - 1, b, [...order, 'a']);
    if (b > 0) yield* interleavings(a, b - 1, [...order, 'b']);
  }

  /** Plays the writers in `order`, then the next change to the end; returns the log and who was told success. */
  function play(writers: Record<string, Writer>, order: readonly string[]): { log: Entry[]; told: Entry[] } {
    const log: Entry[] = [v1];
    const told: Entry[] = [];
    const at = new Map<string, { step: number; seen: Entry[]; own: Entry | null }>();
    const turn = (writer: Writer) => {
      const w = at.get(writer.name) ?? { step: 0, seen: [], own: null };
      const step = STEPS[w.step]!;
      const index = w.step++;
      at.set(writer.name, w);
      if (step === 'read') {
        w.seen = [...log];
        const applied = w.own && appliedEntry(w.seen, TOPOLOGY, w.own.record!.version);
        if (applied && applied.record === w.own!.record) told.push(w.own!);
      } else if (step === 'reappend') {
        const entry = entryToReappend(w.seen, TOPOLOGY);
        if (entry) log.push(copied(`${writer.name}.copy${index}`, entry));
      } else {
        const view = foldControlLog(w.seen, TOPOLOGY);
        w.own = written(
          `${writer.name}.write`,
          record(view, setBatchWindow(view.state, batch(writer.maxRecords)), writer.name),
        );
        log.push(w.own);
      }
    };
    for (const name of order) turn(writers[name]!);
    const following: Writer = { name: 'next', maxRecords: 900, steps: STEPS.length };
    for (let i = 0; i < STEPS.length; i++) turn(following);
    return { log, told };
  }

  it('live readers and readers after any compaction agree, and no writer told success is overwritten', () => {
    let runs = 0;
    for (const aSteps of [3, STEPS.length]) {
      for (const bSteps of [3, STEPS.length]) {
        const writers = {
          a: { name: 'a', maxRecords: 200, steps: aSteps },
          b: { name: 'b', maxRecords: 300, steps: bSteps },
        };
        for (const order of interleavings(aSteps, bSteps)) {
          runs++;
          const { log, told } = play(writers, order);
          const where = `${order.join('')} (a stops after ${aSteps} steps, b after ${bSteps}): ${log.map((e) => e.name).join(', ')}`;
          // The cleaner never touches the active segment, which holds at least the last record of the moment.
          for (let length = 1; length <= log.length; length++) {
            const prefix = log.slice(0, length);
            const live = foldControlLog(prefix, TOPOLOGY).record;
            for (let activeFrom = 0; activeFrom < length; activeFrom++) {
              assert.deepEqual(foldControlLog(compacted(prefix, activeFrom), TOPOLOGY).record, live, where);
            }
          }
          for (const own of told) {
            for (let activeFrom = 0; activeFrom < log.length; activeFrom++) {
              // Null: a later version superseded it and the cleaner dropped it, as it should.
              const kept = compacted(log, activeFrom);
              const applied = appliedEntry(kept, TOPOLOGY, own.record!.version);
              if (applied) assert.deepEqual(applied.record, own.record, `${own.name} was told success; ${where}`);
              else {
                const latest = foldControlLog(kept, TOPOLOGY).record?.version ?? 0;
                assert.ok(latest > own.record!.version, `${own.name}'s record dropped, nothing newer; ${where}`);
              }
            }
          }
        }
      }
    }
    assert.equal(runs, 20 + 56 + 56 + 252);
  });
});
