import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelRegistryError, RegistryStorageError } from './errors.js';
import { FsRegistryStore } from './fs-store.js';
import { CARD_FILE, CARD_MD_FILE, MODEL_FILE, ModelRegistry, type ModelArtifacts } from './registry.js';

/** The registry directory at the repository root, committed for the demo model. */
export const DEFAULT_REGISTRY_DIR = 'registry';

/**
 * A model registry in a local directory: `<dir>/<name>/<version>/{model.onnx,card.json,card.md}` plus
 * `<dir>/<name>/registry.json`. Operations: register, list, show, verify, diff, setChampion, delete, load.
 */
export function openFsRegistry(dir: string = DEFAULT_REGISTRY_DIR, now?: () => string): ModelRegistry {
  return new ModelRegistry(new FsRegistryStore(dir), now);
}

/** Reads a trainer's output directory (model.onnx, card.json, card.md), e.g. for `models register --dir`. */
export async function readModelDir(dir: string): Promise<ModelArtifacts> {
  const read = async (file: string): Promise<Uint8Array> => {
    try {
      return await readFile(join(dir, file));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new ModelRegistryError(
        RegistryStorageError.MissingArtifact,
        `cannot read ${join(dir, file)} (${code}); --dir must hold model.onnx, card.json and card.md as written by ` +
          '`python -m fraudtrain.train --out <dir>`',
      );
    }
  };
  return { model: await read(MODEL_FILE), card: await read(CARD_FILE), cardMd: await read(CARD_MD_FILE) };
}
