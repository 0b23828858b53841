import { ModelRegistryError, resolveModelRef, type ModelRegistry } from '../adapters/model-registry/index.js';
import { parseModelRef } from '../core/models/ref.js';

/**
 * A model named by a command-line flag, checked against the registry before the command reads or writes anything:
 * the `name@version` the registry holds (the champion's version for `name@champion`). A model the registry does not
 * hold is refused naming the flag and what the registry holds for that name, as the control operations refuse a
 * challenger they cannot verify. Only the index is read: a report may name a version no worker would load any more.
 */
export async function registeredRef(
  registry: Pick<ModelRegistry, 'resolve' | 'location'>,
  flag: string,
  text: string,
): Promise<string> {
  const parsed = parseModelRef(text);
  if (!parsed.ok) throw new Error(`${flag}: ${parsed.problem}`);
  try {
    return await resolveModelRef(registry, parsed.ref);
  } catch (error) {
    if (!(error instanceof ModelRegistryError)) throw error;
    // The index's refusal lists the models or the versions it holds; the registry's place is said once.
    const where = error.message.includes(registry.location) ? '' : ` in the registry at ${registry.location}`;
    throw new Error(
      `${flag}: ${error.message}${where}; name a model the registry holds (\`fraudscore models list\`), nothing was read or written`,
    );
  }
}
