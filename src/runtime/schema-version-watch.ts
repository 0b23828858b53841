import type { Logger } from '../adapters/observability/logger.js';
import { unreadableVersionMessage, type UnreadableVersion } from '../adapters/registry/version-readability.js';
import { SerialPoll } from './serial-poll.js';

/**
 * How often a worker checks again which versions of the subjects it reads the contract cannot read. Versions are
 * registered and deleted while workers run (a producer's deploy, the on-call engineer clearing one): the gauge and
 * its alert follow within this long, and each check is a handful of small registry requests.
 */
export const SCHEMA_VERSION_CHECK_MS = 300_000;

/** A subject the worker reads, and the topology role that names its topic (for messages). */
export interface ReadSubject {
  readonly subject: string;
  readonly role: string;
}

export interface SchemaVersionWatchDeps {
  readonly subjects: readonly ReadSubject[];
  /** The versions of `subject` the contract cannot read; throws when the registry cannot answer. */
  readonly unreadableOf: (subject: string) => Promise<readonly UnreadableVersion[]>;
  /** Sets fraudscore_unreadable_schema_versions{subject}. */
  readonly count: (subject: string, unreadable: number) => void;
  readonly log: Logger;
}

/**
 * Keeps the count of unreadable versions per read subject true while the worker runs, and says what changed: a
 * warning for each version found (at start-up every one, later each newly registered one), an info line for each
 * no longer listed (deleted), so the log tells when the trap appeared and when it was cleared. A registry that
 * cannot answer leaves the last count standing and is warned about once per distinct problem; the worker goes on.
 */
export class SchemaVersionWatch {
  /** Per subject, the unreadable versions last found, by version number. */
  private readonly known = new Map<string, Map<number, UnreadableVersion>>();
  private readonly problems = new Map<string, string>();
  private readonly polling = new SerialPoll(() => this.check());

  constructor(private readonly deps: SchemaVersionWatchDeps) {}

  /** One check of every read subject. Never throws. */
  async check(): Promise<void> {
    for (const { subject, role } of this.deps.subjects) {
      let found: readonly UnreadableVersion[];
      try {
        found = await this.deps.unreadableOf(subject);
      } catch (error) {
        const problem = (error as Error).message;
        if (this.problems.get(subject) !== problem) {
          this.deps.log.warn(
            { subject, err: problem },
            `could not check which versions of schema subject ${subject} the contract reads`,
          );
        }
        this.problems.set(subject, problem);
        continue;
      }
      this.problems.delete(subject);
      this.deps.count(subject, found.length);
      const before = this.known.get(subject) ?? new Map<number, UnreadableVersion>();
      const now = new Map(found.map((version) => [version.version, version]));
      for (const version of found) {
        if (before.has(version.version)) continue;
        this.deps.log.warn(
          { subject, version: version.version, schemaId: version.id, reason: version.reason },
          unreadableVersionMessage(subject, role, version),
        );
      }
      for (const [number, version] of before) {
        if (now.has(number)) continue;
        this.deps.log.info(
          { subject, version: number, schemaId: version.id },
          `schema subject ${subject} no longer lists version ${number} (schema id ${version.id}), which the contract ` +
            `could not read: it is no longer counted`,
        );
      }
      this.known.set(subject, now);
    }
  }

  start(intervalMs = SCHEMA_VERSION_CHECK_MS): void {
    this.polling.start(intervalMs);
  }

  stop(): Promise<void> {
    return this.polling.stop();
  }
}
