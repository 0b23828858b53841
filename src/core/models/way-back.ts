import type { RegistryIndex } from './registry-index.js';

/**
 * The champion the kill switch may go back to from `version`, as the registry's history tells it: the last champion a
 * promotion of `version` replaced that was registered before `version`. A champion registered after it was replaced
 * by a rollback (an older version promoted over a newer one): that is the model rolled back from, never the way back,
 * so it is passed over for an earlier promotion's, and so is a deleted one. Null when no promotion of `version`
 * replaced an older champion still registered.
 */
export function championToGoBackTo(history: RegistryIndex['history'], version: string): string | null {
  // Version numbers are never reused (the history keeps even a deleted one's), so each has one registration.
  const registeredAt = new Map<string, number>();
  history.forEach((event, at) => {
    if (event.action === 'register' && !registeredAt.has(event.version)) registeredAt.set(event.version, at);
  });
  // A deleted version cannot serve (its files are gone): passed over like one never registered.
  for (const event of history) if (event.action === 'delete') registeredAt.delete(event.version);
  const own = registeredAt.get(version);
  if (own === undefined) return null;
  for (const event of [...history].reverse()) {
    const previous = event.action === 'promote' && event.version === version ? event.previousChampion : null;
    const previousAt = previous ? registeredAt.get(previous) : undefined;
    if (previous && previousAt !== undefined && previousAt < own) return previous;
  }
  return null;
}
