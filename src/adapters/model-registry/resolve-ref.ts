import { formatModelRef, type ModelRef } from '../../core/models/ref.js';
import type { ModelRegistry } from './registry.js';

/**
 * `name@version` of the version a ref names, as the registry holds it (the champion's version for `name@champion`),
 * read from the index alone. A ref the registry does not hold is refused with the registry's ModelRegistryError,
 * which lists what it holds; each caller says in its own words where the ref came from.
 */
export async function resolveModelRef(registry: Pick<ModelRegistry, 'resolve'>, ref: ModelRef): Promise<string> {
  const entry = await registry.resolve(ref.name, ref.version);
  return formatModelRef({ name: ref.name, version: entry.version });
}
