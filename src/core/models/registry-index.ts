import { z } from 'zod';
import { modelNameSchema, modelRefSchema, modelVersionSchema } from './card.js';
import { CHAMPION, type VersionSelector } from './ref.js';

/**
 * registry/<name>/registry.json: the only mutable file of a model's registry. Version directories never change
 * once written; this index records what they hold (hashes), which version is champion, and the history of both.
 * All changes are pure functions here; the adapter reads, applies one, and writes back under a lock.
 */
export const REGISTRY_FORMAT = 1;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits (a SHA-256)');
const isoTime = z.iso.datetime();

export const versionEntrySchema = z.object({
  version: modelVersionSchema,
  modelSha256: sha256,
  cardSha256: sha256,
  cardMdSha256: sha256,
  featureSchemaVersion: z.string().min(1),
  rollbackTarget: modelRefSchema.nullable(),
  registeredAt: isoTime,
});

const historyEventSchema = z.object({
  at: isoTime,
  action: z.enum(['register', 'promote', 'delete']),
  version: modelVersionSchema,
  /** For promote: the champion it replaced. */
  previousChampion: modelVersionSchema.nullable().optional(),
});

export const registryIndexSchema = z.object({
  format: z.literal(REGISTRY_FORMAT),
  name: modelNameSchema,
  champion: modelVersionSchema.nullable(),
  versions: z.array(versionEntrySchema),
  /** name@version of every rollback target named by a version here: derived, kept for people reading the file. */
  rollbackTargets: z.array(modelRefSchema),
  /**
   * Append-only, and never trimmed: it is what keeps a deleted version's number from naming other bytes later
   * (addVersion refuses any version it mentions).
   */
  history: z.array(historyEventSchema),
});

export type VersionEntry = z.infer<typeof versionEntrySchema>;
export type RegistryIndex = z.infer<typeof registryIndexSchema>;

/** Why the registry refused an operation. Closed vocabulary; the message says what to do. */
export const RegistryRefusal = {
  InvalidIndex: 'INVALID_INDEX',
  NotFound: 'NOT_FOUND',
  NoChampion: 'NO_CHAMPION',
  VersionExists: 'VERSION_EXISTS',
  VersionReused: 'VERSION_REUSED',
  Protected: 'PROTECTED',
  RollbackTargetMissing: 'ROLLBACK_TARGET_MISSING',
  RollbackTargetSchemaMismatch: 'ROLLBACK_TARGET_SCHEMA_MISMATCH',
} as const;
export type RegistryRefusal = (typeof RegistryRefusal)[keyof typeof RegistryRefusal];

export type IndexResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: RegistryRefusal; readonly message: string };

function ok<T>(value: T): IndexResult<T> {
  return { ok: true, value };
}
function refuse<T>(code: RegistryRefusal, message: string): IndexResult<T> {
  return { ok: false, code, message };
}

export function emptyIndex(name: string): RegistryIndex {
  return { format: REGISTRY_FORMAT, name, champion: null, versions: [], rollbackTargets: [], history: [] };
}

export function parseRegistryIndex(raw: unknown, where: string): IndexResult<RegistryIndex> {
  const result = registryIndexSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`,
    );
    return refuse(RegistryRefusal.InvalidIndex, `${where} is not a valid registry index: ${problems.join('; ')}`);
  }
  const index = result.data;
  const seen = new Set<string>();
  for (const entry of index.versions) {
    if (seen.has(entry.version)) {
      return refuse(RegistryRefusal.InvalidIndex, `${where}: version ${entry.version} is listed twice`);
    }
    seen.add(entry.version);
  }
  if (index.champion !== null && !seen.has(index.champion)) {
    return refuse(RegistryRefusal.InvalidIndex, `${where}: champion ${index.champion} is not a registered version`);
  }
  return ok(index);
}

function derivedRollbackTargets(versions: readonly VersionEntry[]): string[] {
  return [...new Set(versions.flatMap((v) => (v.rollbackTarget ? [v.rollbackTarget] : [])))].sort();
}

export function findVersion(index: RegistryIndex, version: string): VersionEntry | undefined {
  return index.versions.find((entry) => entry.version === version);
}

/** A version, or the champion for "champion". */
export function resolveVersion(index: RegistryIndex, selector: VersionSelector): IndexResult<VersionEntry> {
  if (selector === CHAMPION) {
    if (index.champion === null) {
      return refuse(
        RegistryRefusal.NoChampion,
        `model ${index.name} has no champion yet (versions: ${index.versions.map((v) => v.version).join(', ') || 'none'}); promote one with \`fraudscore models promote ${index.name}@<version>\``,
      );
    }
    selector = index.champion;
  }
  const entry = findVersion(index, selector);
  if (!entry) {
    const known = index.versions.map((v) => v.version).join(', ') || 'none';
    return refuse(RegistryRefusal.NotFound, `model ${index.name}@${selector} is not registered (versions: ${known})`);
  }
  return ok(entry);
}

/** What the history says of `version`, e.g. "registered at <time> and deleted at <time>". */
function describePastUse(index: RegistryIndex, version: string): string {
  const events = index.history.filter((event) => event.version === version);
  const phrases: string[] = [];
  for (const [action, participle] of [
    ['register', 'registered'],
    ['delete', 'deleted'],
  ] as const) {
    const times = events.filter((event) => event.action === action).map((event) => event.at);
    if (times.length > 0) phrases.push(`${participle} at ${times.join(', ')}`);
  }
  // Only a hand-edited history names a version without registering it; its times still say when it was in use.
  return phrases.join(' and ') || `named in the history at ${events.map((event) => event.at).join(', ')}`;
}

/**
 * Why `entry`'s rollback target could not serve in its place, or undefined when it can (or none is named).
 * `target` is the target's index entry, undefined when it is not registered; it may live under another model name,
 * which only the caller can read. A rollback target is needed at the worst moment (the kill switch, an incident), so
 * it must be loadable then: registered, and trained on the same feature schema, since workers load it with the
 * topology's schema, the one the version it stands in for was trained on, and would refuse any other.
 */
export function rollbackTargetProblem(
  ref: string,
  entry: Pick<VersionEntry, 'rollbackTarget' | 'featureSchemaVersion'>,
  target: Pick<VersionEntry, 'featureSchemaVersion'> | undefined,
): { readonly code: RegistryRefusal; readonly message: string } | undefined {
  if (entry.rollbackTarget === null) return undefined;
  if (target === undefined) {
    return {
      code: RegistryRefusal.RollbackTargetMissing,
      message:
        `model ${ref} names rollback target ${entry.rollbackTarget}, which is not registered; ` +
        'register it first or retrain with --rollback-target naming a registered version',
    };
  }
  if (target.featureSchemaVersion !== entry.featureSchemaVersion) {
    return {
      code: RegistryRefusal.RollbackTargetSchemaMismatch,
      message:
        `model ${ref} (feature schema ${entry.featureSchemaVersion}) names rollback target ${entry.rollbackTarget}, ` +
        `trained on feature schema ${target.featureSchemaVersion}: workers computing ${entry.featureSchemaVersion} ` +
        'would refuse to load it, so the kill switch would fail during an incident; retrain with --rollback-target ' +
        `naming a registered version trained on ${entry.featureSchemaVersion}`,
    };
  }
  return undefined;
}

/**
 * Adds a version. `rollbackTarget` is the index entry of the version's rollback target (undefined when it is not
 * registered, or none is named): one that could not be loaded in its place is useless at the moment it is needed,
 * so registration refuses it (rollbackTargetProblem).
 *
 * A version number is used once, ever: one that the history mentions is refused even after it was deleted. Deleting
 * removes the files, not the bytes that workers loaded nor the scores they published under that version; new bytes
 * under the old number would be served beside the old ones with the same `model_version`, each passing its SHA-256
 * check.
 */
export function addVersion(
  index: RegistryIndex,
  entry: VersionEntry,
  rollbackTarget: Pick<VersionEntry, 'featureSchemaVersion'> | undefined,
  at: string,
): IndexResult<RegistryIndex> {
  if (findVersion(index, entry.version)) {
    return refuse(
      RegistryRefusal.VersionExists,
      `model ${index.name}@${entry.version} is already registered with different content; versions are immutable: ` +
        'register under a new version',
    );
  }
  if (index.history.some((event) => event.version === entry.version)) {
    return refuse(
      RegistryRefusal.VersionReused,
      `model ${index.name}@${entry.version} was ${describePastUse(index, entry.version)}; versions are never reused ` +
        `(workers that loaded the old ${index.name}@${entry.version} may still serve it, and published scores name ` +
        'it): register under a new version number',
    );
  }
  const problem = rollbackTargetProblem(`${index.name}@${entry.version}`, entry, rollbackTarget);
  if (problem) return refuse(problem.code, problem.message);
  const versions = [...index.versions, entry];
  return ok({
    ...index,
    versions,
    rollbackTargets: derivedRollbackTargets(versions),
    history: [...index.history, { at, action: 'register', version: entry.version }],
  });
}

export function promote(index: RegistryIndex, selector: VersionSelector, at: string): IndexResult<RegistryIndex> {
  const found = resolveVersion(index, selector);
  if (!found.ok) return found;
  // The version the selector names (`champion` names one): the index never records a selector.
  const { version } = found.value;
  if (index.champion === version) return ok(index);
  return ok({
    ...index,
    champion: version,
    history: [...index.history, { at, action: 'promote', version, previousChampion: index.champion }],
  });
}

/**
 * Removes a version from the index. `referrers` lists every `name@version` (across all model names) whose card names
 * this version as its rollback target: a rollback target must stay loadable, so those, and the champion, are kept.
 */
export function removeVersion(
  index: RegistryIndex,
  selector: VersionSelector,
  referrers: readonly string[],
  at: string,
): IndexResult<RegistryIndex> {
  const found = resolveVersion(index, selector);
  if (!found.ok) return found;
  const { version } = found.value;
  if (index.champion === version) {
    return refuse(
      RegistryRefusal.Protected,
      `model ${index.name}@${version} is the champion; promote another version before deleting it`,
    );
  }
  if (referrers.length > 0) {
    return refuse(
      RegistryRefusal.Protected,
      `model ${index.name}@${version} is the rollback target of ${referrers.join(', ')}; ` +
        'delete those first (a rollback target must stay loadable)',
    );
  }
  const versions = index.versions.filter((entry) => entry.version !== version);
  return ok({
    ...index,
    versions,
    rollbackTargets: derivedRollbackTargets(versions),
    history: [...index.history, { at, action: 'delete', version }],
  });
}

/** Every `name@version` in `indexes` whose rollback target is `target`. */
export function referrersOf(indexes: readonly RegistryIndex[], target: string): string[] {
  return indexes.flatMap((index) =>
    index.versions.filter((entry) => entry.rollbackTarget === target).map((entry) => `${index.name}@${entry.version}`),
  );
}

/** Canonical bytes of an index: stable key order and a trailing newline, so diffs of registry.json stay readable. */
export function serializeIndex(index: RegistryIndex): string {
  return `${JSON.stringify(index, null, 2)}\n`;
}
