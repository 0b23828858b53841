import { createHash } from 'node:crypto';
import { parseModelCard, type ModelCard } from '../../core/models/card.js';
import { diffCards, type CardDiff } from '../../core/models/diff.js';
import { parseModelRef, type ModelRef, type VersionSelector } from '../../core/models/ref.js';
import {
  addVersion,
  emptyIndex,
  findVersion,
  parseRegistryIndex,
  promote,
  referrersOf,
  RegistryRefusal,
  removeVersion,
  resolveVersion,
  rollbackTargetProblem,
  serializeIndex,
  type IndexResult,
  type RegistryIndex,
  type VersionEntry,
} from '../../core/models/registry-index.js';
import { verifyCardSha, verifyModel, verifyModelSha } from '../../core/models/verification.js';
import type { FeatureSchema } from '../../core/features/types.js';
import { ModelRegistryError, RegistryStorageError } from './errors.js';
import type { RegistryStore } from './store.js';

export const MODEL_FILE = 'model.onnx';
export const CARD_FILE = 'card.json';
export const CARD_MD_FILE = 'card.md';
const INDEX_FILE = 'registry.json';

/** The three files a trainer writes for one model version. */
export interface ModelArtifacts {
  readonly model: Uint8Array;
  readonly card: Uint8Array;
  readonly cardMd: Uint8Array;
}

export interface RegisterResult {
  readonly name: string;
  readonly version: string;
  /** `unchanged`: the same bytes were already registered; registering is idempotent. */
  readonly status: 'registered' | 'unchanged';
  readonly champion: boolean;
  readonly entry: VersionEntry;
}

export interface ModelSummary {
  readonly name: string;
  readonly champion: string | null;
  readonly rollbackTargets: readonly string[];
  readonly versions: readonly VersionEntry[];
}

export interface ShownVersion {
  readonly entry: VersionEntry;
  readonly card: ModelCard;
  readonly cardMd: string;
  readonly isChampion: boolean;
  readonly location: string;
}

export interface VerifyReport {
  readonly ref: string;
  readonly ok: boolean;
  readonly problems: readonly string[];
}

export interface LoadedModel {
  readonly card: ModelCard;
  readonly modelBytes: Uint8Array;
  readonly entry: VersionEntry;
}

export interface LoadOptions {
  /** The feature schema the caller serves; the model must have been trained on it. */
  readonly featureSchema?: FeatureSchema;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function unwrap<T>(result: IndexResult<T>): T {
  if (!result.ok) throw new ModelRegistryError(result.code, result.message);
  return result.value;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return (
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    ) === 0
  );
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function decodeCard(bytes: Uint8Array, where: string): ModelCard {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new ModelRegistryError(RegistryStorageError.InvalidCard, `${where}: not UTF-8 text`);
  }
  const parsed = parseModelCard(text, where);
  if (!parsed.ok) {
    throw new ModelRegistryError(
      RegistryStorageError.InvalidCard,
      `invalid model card:\n${parsed.problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return parsed.card;
}

/**
 * An immutable, content-addressed model registry over any RegistryStore.
 *
 * Layout: `<name>/<version>/{model.onnx,card.json,card.md}` written once, and `<name>/registry.json` listing each
 * version's hashes, the champion and the history. The index is the commit point: artifacts are written first, the
 * index last, so a crash in between leaves unlisted files that a retried register either adopts (same bytes) or
 * refuses (different bytes), never a listed version with missing or partial files.
 */
export class ModelRegistry {
  constructor(
    private readonly store: RegistryStore,
    /** ISO-8601 time for the history; injected so tests can fix it. */
    private readonly now: () => string = () => new Date().toISOString(),
  ) {}

  get location(): string {
    return this.store.location;
  }

  private key(name: string, version: string, file: string): string {
    return `${name}/${version}/${file}`;
  }

  private async readIndex(name: string): Promise<RegistryIndex | undefined> {
    const bytes = await this.store.read(`${name}/${INDEX_FILE}`);
    if (bytes === undefined) return undefined;
    const where = `${this.store.location}/${name}/${INDEX_FILE}`;
    let raw: unknown;
    try {
      raw = JSON.parse(decoder.decode(bytes));
    } catch (error) {
      throw new ModelRegistryError(
        RegistryRefusal.InvalidIndex,
        `${where}: not valid JSON (${(error as Error).message})`,
      );
    }
    return unwrap(parseRegistryIndex(raw, where));
  }

  private async requireIndex(name: string): Promise<RegistryIndex> {
    const index = await this.readIndex(name);
    if (index) return index;
    const known = (await this.store.listModelNames()).join(', ') || 'none';
    throw new ModelRegistryError(
      RegistryRefusal.NotFound,
      `no model named ${name} in ${this.store.location} (models: ${known}); register one with \`fraudscore models register --dir <dir>\``,
    );
  }

  private async writeIndex(index: RegistryIndex): Promise<void> {
    await this.store.replace(`${index.name}/${INDEX_FILE}`, new TextEncoder().encode(serializeIndex(index)));
  }

  /** The index entry of `name@version` (a rollback target, possibly under another model name); undefined if absent. */
  private async entryOf(ref: string): Promise<VersionEntry | undefined> {
    const parsed = parseModelRef(ref);
    if (!parsed.ok) return undefined;
    const index = await this.readIndex(parsed.ref.name);
    return index && findVersion(index, parsed.ref.version);
  }

  /**
   * Registers the artifacts under the card's own name and version.
   * 1. Validate the card and check that model.onnx is the file it describes.
   * 2. Under the model's lock: an identical version already listed is a no-op (promoted if asked) once its stored
   *    files verify; a different one is refused, and so is any version the history names (a deleted one included:
   *    version numbers are never reused).
   * 3. Write each artifact if absent; an unlisted leftover (interrupted register) must be byte-identical.
   * 4. Append the version to the index (and make it champion if asked): the commit point.
   */
  async register(artifacts: ModelArtifacts, options: { champion?: boolean } = {}): Promise<RegisterResult> {
    const card = decodeCard(artifacts.card, CARD_FILE);
    const modelSha256 = sha256Hex(artifacts.model);
    const sha = verifyModelSha(card, modelSha256);
    if (!sha.ok) throw new ModelRegistryError(sha.code, sha.message);
    const entry: VersionEntry = {
      version: card.version,
      modelSha256,
      cardSha256: sha256Hex(artifacts.card),
      cardMdSha256: sha256Hex(artifacts.cardMd),
      featureSchemaVersion: card.featureSchemaVersion,
      rollbackTarget: card.rollbackTarget,
      registeredAt: this.now(),
    };
    const { name, version } = card;

    return this.store.withLock(name, async () => {
      let index = (await this.readIndex(name)) ?? emptyIndex(name);
      const existing = findVersion(index, version);
      if (existing) {
        const identical =
          existing.modelSha256 === entry.modelSha256 &&
          existing.cardSha256 === entry.cardSha256 &&
          existing.cardMdSha256 === entry.cardMdSha256;
        if (!identical) {
          throw new ModelRegistryError(
            RegistryRefusal.VersionExists,
            `model ${name}@${version} is already registered with different content ` +
              `(model ${existing.modelSha256.slice(0, 12)}…, card ${existing.cardSha256.slice(0, 12)}…); ` +
              'registered versions are immutable: train and register a new version',
          );
        }
        // The index's hashes match the new bytes; the stored files must too, or "identical" would be a lie and
        // --champion would promote a version `promote` refuses (a broken champion turns the next restart into an
        // outage). verifyEntry recomputes the stored files' SHA-256 against the index's, which are the new ones'.
        const report = await this.verifyEntry(name, existing);
        if (!report.ok) {
          throw new ModelRegistryError(
            RegistryStorageError.VerificationFailed,
            `model ${report.ref} is already registered with these bytes, but the registered version fails ` +
              `verification: ${report.problems.join('; ')}. Registering again changes nothing (registered versions ` +
              `are immutable)${options.champion ? ' and the version was not made champion' : ''}: fix what ` +
              `verification reports (a stored file changed or missing: restore it in ${this.store.location}/${name}/` +
              `${version} from the files being registered, which have the recorded SHA-256), then check with ` +
              `\`fraudscore models verify ${report.ref}\``,
          );
        }
        if (options.champion && index.champion !== version) {
          index = unwrap(promote(index, version, this.now()));
          await this.writeIndex(index);
        }
        return { name, version, status: 'unchanged', champion: index.champion === version, entry: existing };
      }

      const target = card.rollbackTarget === null ? undefined : await this.entryOf(card.rollbackTarget);
      // Validate the index change (a reused version, a rollback target missing or on another feature schema) before
      // touching storage, so a refused register leaves nothing behind.
      let next = unwrap(addVersion(index, entry, target, entry.registeredAt));
      for (const [file, bytes] of [
        [MODEL_FILE, artifacts.model],
        [CARD_FILE, artifacts.card],
        [CARD_MD_FILE, artifacts.cardMd],
      ] as const) {
        const key = this.key(name, version, file);
        if ((await this.store.createExclusive(key, bytes)) === 'exists') {
          const stored = await this.store.read(key);
          if (!stored || !sameBytes(stored, bytes)) {
            throw new ModelRegistryError(
              RegistryStorageError.ArtifactConflict,
              `${this.store.location}/${key} exists but model ${name}@${version} is not in the index (an interrupted ` +
                'register?) and its bytes differ from the ones being registered; remove the directory ' +
                `${this.store.location}/${name}/${version} and register again`,
            );
          }
        }
      }
      if (options.champion) next = unwrap(promote(next, version, entry.registeredAt));
      await this.writeIndex(next);
      return { name, version, status: 'registered', champion: next.champion === version, entry };
    });
  }

  async list(): Promise<ModelSummary[]> {
    const names = await this.store.listModelNames();
    const summaries: ModelSummary[] = [];
    for (const name of names) {
      const index = await this.requireIndex(name);
      summaries.push({
        name,
        champion: index.champion,
        rollbackTargets: index.rollbackTargets,
        versions: index.versions,
      });
    }
    return summaries;
  }

  async show(name: string, selector: VersionSelector): Promise<ShownVersion> {
    const index = await this.requireIndex(name);
    const entry = unwrap(resolveVersion(index, selector));
    const cardBytes = await this.readArtifact(name, entry.version, CARD_FILE);
    const cardMd = await this.readArtifact(name, entry.version, CARD_MD_FILE);
    return {
      entry,
      card: decodeCard(cardBytes, `${name}/${entry.version}/${CARD_FILE}`),
      cardMd: decoder.decode(cardMd),
      isChampion: index.champion === entry.version,
      location: `${this.store.location}/${name}/${entry.version}`,
    };
  }

  private async readArtifact(name: string, version: string, file: string): Promise<Uint8Array> {
    const bytes = await this.store.read(this.key(name, version, file));
    if (bytes === undefined) {
      throw new ModelRegistryError(
        RegistryStorageError.MissingArtifact,
        `model ${name}@${version}: ${this.store.location}/${name}/${version}/${file} is missing although the index ` +
          'lists the version; restore it from backup, or delete the version and register the model under a new version',
      );
    }
    return bytes;
  }

  /**
   * Recomputes every hash of the selected versions (all versions of all models by default) and checks each card
   * against its path and its rollback target's presence. Never throws for a bad version: it reports.
   */
  async verify(target?: { name: string; version?: VersionSelector }): Promise<VerifyReport[]> {
    const names = target ? [target.name] : await this.store.listModelNames();
    const reports: VerifyReport[] = [];
    for (const name of names) {
      const index = await this.requireIndex(name);
      const entries = target?.version !== undefined ? [unwrap(resolveVersion(index, target.version))] : index.versions;
      for (const entry of entries) reports.push(await this.verifyEntry(name, entry));
    }
    return reports;
  }

  private async verifyEntry(name: string, entry: VersionEntry): Promise<VerifyReport> {
    const ref = `${name}@${entry.version}`;
    const problems: string[] = [];
    const read = async (file: string): Promise<Uint8Array | undefined> => {
      const bytes = await this.store.read(this.key(name, entry.version, file));
      if (bytes === undefined) problems.push(`${file} is missing`);
      return bytes;
    };
    const [model, cardBytes, cardMd] = [await read(MODEL_FILE), await read(CARD_FILE), await read(CARD_MD_FILE)];
    let card: ModelCard | undefined;
    if (cardBytes) {
      try {
        card = decodeCard(cardBytes, `${ref}/${CARD_FILE}`);
      } catch (error) {
        problems.push((error as Error).message);
      }
      const cardSha = verifyCardSha({ name, version: entry.version }, sha256Hex(cardBytes), entry.cardSha256);
      if (!cardSha.ok) problems.push(cardSha.message);
    }
    if (model) {
      const modelSha = sha256Hex(model);
      const check = card ? verifyModelSha(card, modelSha) : undefined;
      if (check && !check.ok) problems.push(check.message);
      // Said once: when the card and the index agree on the hash, the card's message already covers the index.
      const sameAsCard = card !== undefined && card.modelSha256 === entry.modelSha256 && check?.ok === false;
      if (modelSha !== entry.modelSha256 && !sameAsCard) {
        problems.push(
          `model ${ref}: model.onnx sha256 is ${modelSha} but registry.json recorded ${entry.modelSha256} — ` +
            'the artifact was modified after registration; registered versions are immutable: restore the registered bytes ' +
            '(the sha256 registry.json records) or register the model as a new version',
        );
      }
    }
    if (cardMd && sha256Hex(cardMd) !== entry.cardMdSha256) {
      problems.push(`card.md sha256 is ${sha256Hex(cardMd)} but registry.json recorded ${entry.cardMdSha256}`);
    }
    const stored = card && storedAsProblem(card, name, entry.version);
    if (stored) problems.push(stored);
    if (entry.rollbackTarget !== null) {
      const target = await this.entryOf(entry.rollbackTarget);
      if (target === undefined) {
        problems.push(`rollback target ${entry.rollbackTarget} is not registered: the rollback would fail`);
      } else {
        const problem = rollbackTargetProblem(ref, entry, target);
        if (problem) problems.push(problem.message);
      }
    }
    return { ref, ok: problems.length === 0, problems };
  }

  async diff(a: ModelRef, b: ModelRef): Promise<{ a: ShownVersion; b: ShownVersion; diff: CardDiff }> {
    const left = await this.show(a.name, a.version);
    const right = await this.show(b.name, b.version);
    return { a: left, b: right, diff: diffCards(left.card, right.card) };
  }

  /**
   * The registered version a selector names (the champion's for "champion"), from the index alone: whether the
   * registry holds it, without reading or verifying its artifacts (`load` does that). Refusals list what it holds.
   */
  async resolve(name: string, selector: VersionSelector): Promise<VersionEntry> {
    return unwrap(resolveVersion(await this.requireIndex(name), selector));
  }

  /** The champion's version of a model, null when it has none (or the model is not registered): one small read. */
  async championOf(name: string): Promise<string | null> {
    return (await this.readIndex(name))?.champion ?? null;
  }

  /** Makes a registered, verifiable version the champion; says which version that is (`champion` names one). */
  async setChampion(name: string, version: string): Promise<{ version: string; previous: string | null }> {
    return this.store.withLock(name, async () => {
      const index = await this.requireIndex(name);
      const entry = unwrap(resolveVersion(index, version));
      // Promoting a broken artifact would turn the next restart into an outage.
      const report = await this.verifyEntry(name, entry);
      if (!report.ok) {
        throw new ModelRegistryError(
          RegistryStorageError.VerificationFailed,
          `refusing to promote ${report.ref}: ${report.problems.join('; ')}`,
        );
      }
      await this.writeIndex(unwrap(promote(index, entry.version, this.now())));
      return { version: entry.version, previous: index.champion };
    });
  }

  /**
   * Deletes a version that is neither the champion nor anyone's rollback target. Index first, then files: a crash in
   * between leaves files no one lists, and the history keeps their version number from being registered again.
   */
  async delete(name: string, selector: string): Promise<void> {
    await this.store.withLock(name, async () => {
      const index = await this.requireIndex(name);
      const { version } = unwrap(resolveVersion(index, selector));
      const all: RegistryIndex[] = [];
      for (const other of await this.store.listModelNames()) {
        all.push(other === name ? index : await this.requireIndex(other));
      }
      const referrers = referrersOf(all, `${name}@${version}`);
      await this.writeIndex(unwrap(removeVersion(index, version, referrers, this.now())));
      for (const file of [MODEL_FILE, CARD_FILE, CARD_MD_FILE]) await this.store.remove(this.key(name, version, file));
    });
  }

  /**
   * The bytes to serve, verified: card valid, card.json and model.onnx hashes equal to the index's and the
   * card's, and (when given) the feature schema the caller serves equal to the one the model was trained on.
   */
  async load(name: string, selector: VersionSelector, options: LoadOptions = {}): Promise<LoadedModel> {
    const index = await this.requireIndex(name);
    const entry = unwrap(resolveVersion(index, selector));
    const cardBytes = await this.readArtifact(name, entry.version, CARD_FILE);
    const card = decodeCard(cardBytes, `${name}/${entry.version}/${CARD_FILE}`);
    const cardSha = verifyCardSha({ name, version: entry.version }, sha256Hex(cardBytes), entry.cardSha256);
    if (!cardSha.ok) throw new ModelRegistryError(cardSha.code, cardSha.message);
    // Scores carry the card's name and version: a card stored under another model's path (the index rewritten to
    // match it) would publish every score under the wrong version.
    const stored = storedAsProblem(card, name, entry.version);
    if (stored !== undefined) throw new ModelRegistryError(RegistryStorageError.InvalidCard, stored);
    const modelBytes = await this.readArtifact(name, entry.version, MODEL_FILE);
    const modelSha = sha256Hex(modelBytes);
    // With card.json equal to the registered bytes, the card's modelSha256 is the registered one too, so this
    // also catches a model.onnx and card.json replaced together.
    const verdict = verifyModel(card, modelSha, options.featureSchema);
    if (!verdict.ok) throw new ModelRegistryError(verdict.code, verdict.message);
    return { card, modelBytes, entry };
  }

  /** The index's history (registrations, promotions with the champion each replaced, deletions), oldest first. */
  async history(name: string): Promise<RegistryIndex['history']> {
    return (await this.requireIndex(name)).history;
  }
}

/** Why a card may not be served as name@version: it describes another model; undefined when it is that model's. */
function storedAsProblem(card: ModelCard, name: string, version: string): string | undefined {
  if (card.name === name && card.version === version) return undefined;
  return (
    `card.json describes ${card.name}@${card.version} but is stored as ${name}@${version}: the registry's files ` +
    `were moved or its index rewritten; restore ${name}@${version}'s registered files, or register the model under ` +
    `its own name and version`
  );
}
