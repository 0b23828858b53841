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

/**
 * The level a subject needs, by which side of it the pipeline is on.
 *
 * `read`: input and labels. Upstream writes; the worker reads every record with its fixed contract schema as the
 * reader and the record's writer schema, whatever version that is. What must hold is that an OLD schema (the
 * contract) reads data written with every NEWER one: FORWARD, the direction BACKWARD does not check (BACKWARD lets
 * upstream remove a field the contract reads, and every record of that version would be dead-lettered WRONG_SCHEMA;
 * it refuses harmless changes, such as a new field without a default, instead). And transitive: plain FORWARD checks
 * a new version against the latest one only, while the contract stays at its version as upstream moves on, so v2
 * dropping an optional field and v3 bringing it back with another type both pass, and v3 is unreadable as the
 * contract. FULL_TRANSITIVE satisfies it too.
 *
 * `written`: output and dead letters. The pipeline writes with its contract; downstream consumers still on an older
 * schema read what a newer release writes (FORWARD), and the pipeline's own readers of scores (the evaluator, the
 * lifecycle score reader) read with the current contract what older releases wrote (BACKWARD); both sides can stay on
 * any version, so both transitively.
 */
export const NEEDED_COMPATIBILITY = {
  read: 'FORWARD_TRANSITIVE',
  written: 'FULL_TRANSITIVE',
} as const satisfies Record<string, CompatibilityLevel>;

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

/** A promise `needed` makes that a weaker level does not: a direction it checks, or checking every version. */
export type Shortfall = 'backward' | 'forward' | 'transitive';

/**
 * The promises `needed` makes that `level` does not, for messages that say what could go wrong; none when `level`
 * satisfies `needed`. `transitive` is listed only when no direction is missing: BACKWARD falls short of
 * FORWARD_TRANSITIVE by `forward`, and against how many versions it checks that direction does not arise.
 */
export function shortfall(level: CompatibilityLevel, needed: CompatibilityLevel): Shortfall[] {
  const has = promisesOf(level);
  const wants = promisesOf(needed);
  const missing: Shortfall[] = [];
  if (wants.backward && !has.backward) missing.push('backward');
  if (wants.forward && !has.forward) missing.push('forward');
  if (wants.transitive && !has.transitive && missing.length === 0) missing.push('transitive');
  return missing;
}

/**
 * Whether `level` promises everything `needed` does: every direction it checks, and against every version when
 * `needed` is transitive. FULL satisfies BACKWARD; FORWARD does not; BACKWARD does not satisfy BACKWARD_TRANSITIVE;
 * FULL and FORWARD do not satisfy FORWARD_TRANSITIVE, since they check a new version against the latest one only and
 * not against an older version a reader may still hold (NEEDED_COMPATIBILITY).
 */
export function satisfies(level: CompatibilityLevel, needed: CompatibilityLevel): boolean {
  return shortfall(level, needed).length === 0;
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
