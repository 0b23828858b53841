import { randomBytes } from 'node:crypto';
import { chmod, link, open, readdir, readFile, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { ModelRegistryError, RegistryStorageError } from './errors.js';
import type { RegistryStore } from './store.js';
import { makeDirectories } from '../files/make-directories.js';

const INDEX_FILE = 'registry.json';
const LOCK_FILE = '.lock';
/** Registered artifacts are read-only on disk: an editor or a stray `>` fails loudly instead of corrupting a model. */
const ARTIFACT_MODE = 0o444;

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** The registry as a directory tree: `<root>/<name>/registry.json`, `<root>/<name>/<version>/<file>`. */
export class FsRegistryStore implements RegistryStore {
  readonly location: string;

  constructor(root: string) {
    this.location = resolve(root);
  }

  private path(key: string): string {
    const segments = key.split('/');
    if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes(sep) || s.includes('\\'))) {
      throw new Error(`registry key "${key}" is not a plain relative path`);
    }
    return join(this.location, ...segments);
  }

  private temporary(path: string): string {
    return join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  }

  async read(key: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(this.path(key));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  async createExclusive(key: string, bytes: Uint8Array): Promise<'created' | 'exists'> {
    const path = this.path(key);
    makeDirectories(dirname(path));
    // Write in full under a temporary name, then link(2) it into place: link fails with EEXIST instead of
    // replacing, so the final name only ever holds complete bytes and is never overwritten.
    const tmp = this.temporary(path);
    await writeDurably(tmp, bytes);
    try {
      await chmod(tmp, ARTIFACT_MODE);
      await link(tmp, path);
      return 'created';
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') return 'exists';
      throw error;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  async replace(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.path(key);
    makeDirectories(dirname(path));
    const tmp = this.temporary(path);
    await writeDurably(tmp, bytes);
    await rename(tmp, path);
  }

  async remove(key: string): Promise<void> {
    const path = this.path(key);
    try {
      await unlink(path);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
    // A version directory goes with its last file; rmdir refuses a non-empty one, which is what we want.
    await rmdir(dirname(path)).catch(() => undefined);
  }

  async listModelNames(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await readdir(this.location);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return [];
      throw error;
    }
    const names: string[] = [];
    for (const entry of entries.sort()) {
      if (entry.startsWith('.')) continue;
      const found = await stat(join(this.location, entry, INDEX_FILE)).catch(() => undefined);
      if (found?.isFile()) names.push(entry);
    }
    return names;
  }

  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const path = this.path(`${name}/${LOCK_FILE}`);
    makeDirectories(dirname(path));
    let handle;
    try {
      handle = await open(path, 'wx');
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
      const holder = await readFile(path, 'utf8').catch(() => 'unknown holder');
      throw new ModelRegistryError(
        RegistryStorageError.Locked,
        `another registry command is changing model ${name} (${path}: ${holder.trim()}); ` +
          'retry when it is done, or delete the lock file if no such command is running',
        true,
      );
    }
    try {
      await handle.writeFile(`pid ${process.pid} since ${new Date().toISOString()}\n`);
      await handle.close();
      return await fn();
    } finally {
      await unlink(path).catch(() => undefined);
    }
  }
}

/** Writes and fsyncs, so that a file linked or renamed into place survives a power cut with its content. */
async function writeDurably(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Exported for tests that must reach past the store to tamper with a registered file. */
export const fsRegistryLayout = { indexFile: INDEX_FILE, lockFile: LOCK_FILE, artifactMode: ARTIFACT_MODE } as const;
