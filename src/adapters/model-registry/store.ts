/**
 * The storage a model registry needs, and nothing more: immutable objects written once, one small mutable index
 * per model written atomically, and a lock around index changes. A directory implements it (fs-store.ts); an
 * object store implements it with conditional writes (create-if-absent for artifacts, generation match for the
 * index) without any change to registry.ts.
 * Keys are `/`-separated, e.g. `card-fraud/3/model.onnx`.
 */
export interface RegistryStore {
  /** Where the registry lives, for messages. */
  readonly location: string;
  read(key: string): Promise<Uint8Array | undefined>;
  /** Writes `bytes` only if nothing is stored under `key`; never replaces. */
  createExclusive(key: string, bytes: Uint8Array): Promise<'created' | 'exists'>;
  /** Replaces the object atomically: readers see the old bytes or the new, never a mix. Only for indexes. */
  replace(key: string, bytes: Uint8Array): Promise<void>;
  /** Removes the object if present. */
  remove(key: string): Promise<void>;
  /** Model names that have an index (`<name>/registry.json`). */
  listModelNames(): Promise<string[]>;
  /** Runs `fn` while holding the lock of one model's index; fails at once if another holder has it. */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
}
