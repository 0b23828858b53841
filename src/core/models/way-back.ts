import type { RegistryIndex } from './registry-index.js';

/**
 * The champion the kill switch may go back to from `version`, as the registry's history tells it: the last champion a
 * promotion of `version` replaced that was registered before `version`. A champion registered after it was replaced
 * by a rollback (an older version promoted over a newer one): that is the model rolled back from, never the way back,
 * so it is passed over for an earlier promotion's. Null when no promotion of `version` replaced an older champion.
 */
export function championToGoBackTo(history: RegistryIndex['history'], version: string): string | null {
  // Version numbers are never reused (the history keeps even a deleted one's), so each has one registration.
  const registeredAt = new Map<string, number>();
  history.forEach((event, at) => {
    if (event.action === 'register' && !registeredAt.has(event.version)) registeredAt.set(event.version, at);
  });
  const own = registeredAt.get(version);
  if (own === undefined) return null;
  for (const event of [...history].reverse()) {
    const previous = event.action === 'promote' && event.version === version ? event.previousChampion : null;
    const previousAt = previous ? registeredAt.get(previous) : undefined;
    if (previous && previousAt !== undefined && previousAt < own) return previous;
  }
  return null;
}
