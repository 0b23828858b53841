import { isDeepStrictEqual } from 'node:util';
import { EMPTY_VIEW, foldControlEntry, type ControlLogItem, type ControlView } from './fold.js';

/**
 * Keeping compaction on the side of the live readers.
 *
 * Readers apply the FIRST record of a version in log order; compaction keeps only the LAST record of the key. When two
 * writers race for a version, the loser's record comes after the winner's, and if it stays the last record of the log
 * the cleaner eventually drops the winner: every reader started afterwards applies a state no running worker applied
 * (a rollout its operator was told had failed). So writers re-append, marked as a copy, the record readers apply
 * whenever the log does not end with it: before each change and after each write, winner and loser alike.
 *
 * Kafka never cleans the active segment and rolls it only when a record is appended, so a wrong last record is
 * harmless while it is the last: the next change re-appends the applied record first, and if that append is the one
 * that rolls the segment, the copy (which `foldControlEntry` lets restore its version) follows the kept loser. The
 * window left open (a writer stopping between its losing write and its copy) is described at `appendControl`.
 */

/** Folds the log, noting for each version the entry behind the view readers held at it. */
function trace<T extends ControlLogItem>(
  entries: readonly T[],
  topology: string,
): { view: ControlView; source: T | null; byVersion: ReadonlyMap<number, T> } {
  let view = EMPTY_VIEW;
  let source: T | null = null;
  const byVersion = new Map<number, T>();
  for (const entry of entries) {
    const next = foldControlEntry(view, entry, topology);
    if (next === view) continue;
    view = next;
    source = entry;
    byVersion.set(view.version, entry);
  }
  return { view, source, byVersion };
}

/** The view every reader of these entries holds. */
export function foldControlLog(entries: readonly ControlLogItem[], topology: string): ControlView {
  return trace(entries, topology).view;
}

/** The entry whose record readers of this log applied for `version` (null: none reached it). */
export function appliedEntry<T extends ControlLogItem>(
  entries: readonly T[],
  topology: string,
  version: number,
): T | null {
  return trace(entries, topology).byVersion.get(version) ?? null;
}

/**
 * The entry to re-append as a copy so that the record compaction keeps (the last) is the one readers apply; null when
 * the log already ends with that record (or an equal one) or holds none.
 */
export function entryToReappend<T extends ControlLogItem>(entries: readonly T[], topology: string): T | null {
  const { source } = trace(entries, topology);
  if (source === null) return null;
  const last = entries.at(-1);
  // An equal record kept last folds to the same view: a losing record identical to the winner, or a copy already made.
  if (last?.record?.topology === topology && isDeepStrictEqual(last.record, source.record)) return null;
  return source;
}
