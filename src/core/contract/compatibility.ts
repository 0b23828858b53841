/**
 * Schema-registry compatibility levels (Confluent's vocabulary, which Apicurio's ccompat API speaks too) and how they
 * compare. A level promises some directions (BACKWARD: a new schema reads data written with the previous one; FORWARD:
 * the previous schema reads data written with the new one; FULL: both), checked against the latest version only or,
 * when TRANSITIVE, against every version.
 */
export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

interface Promises {
  readonly backward: boolean;
  readonly forward: boolean;
  readonly transitive: boolean;
}

function promisesOf(level: CompatibilityLevel): Promises {
  const [kind, transitive] = level.split('_');
  return {
    backward: kind === 'BACKWARD' || kind === 'FULL',
    forward: kind === 'FORWARD' || kind === 'FULL',
    transitive: transitive === 'TRANSITIVE',
  };
}

function levelOf(promises: Promises): CompatibilityLevel {
  const kind =
    promises.backward && promises.forward
      ? 'FULL'
      : promises.backward
        ? 'BACKWARD'
        : promises.forward
          ? 'FORWARD'
          : 'NONE';
  return kind !== 'NONE' && promises.transitive ? (`${kind}_TRANSITIVE` as CompatibilityLevel) : kind;
}

export function parseCompatibilityLevel(text: string): CompatibilityLevel | undefined {
  const upper = text.trim().toUpperCase();
  return (COMPATIBILITY_LEVELS as readonly string[]).includes(upper) ? (upper as CompatibilityLevel) : undefined;
}

/**
 * Whether `level` promises everything `needed` does: every direction it checks, and against every version when
 * `needed` is transitive. FULL satisfies BACKWARD; FORWARD does not; BACKWARD does not satisfy BACKWARD_TRANSITIVE.
 */
export function satisfies(level: CompatibilityLevel, needed: CompatibilityLevel): boolean {
  const has = promisesOf(level);
  const wants = promisesOf(needed);
  return (has.backward || !wants.backward) && (has.forward || !wants.forward) && (has.transitive || !wants.transitive);
}

/**
 * The weakest level that promises everything both levels do: what a subject is raised to when its level is weaker
 * than the one needed, so that raising never drops a promise the subject's owner had made (FORWARD + BACKWARD = FULL).
 */
export function strengthen(level: CompatibilityLevel, needed: CompatibilityLevel): CompatibilityLevel {
  const a = promisesOf(level);
  const b = promisesOf(needed);
  const backward = a.backward || b.backward;
  const forward = a.forward || b.forward;
  // A transitive promise about no direction means nothing: NONE stays NONE.
  const transitive = (a.transitive && (a.backward || a.forward)) || (b.transitive && (b.backward || b.forward));
  return levelOf({ backward, forward, transitive });
}
