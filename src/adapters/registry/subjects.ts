import {
  parseCompatibilityLevel,
  satisfies,
  strengthen,
  type CompatibilityLevel,
} from '../../core/contract/compatibility.js';
import { displayUrl, type RegistryConnection } from '../../config/index.js';
import type { Logger } from '../observability/logger.js';
import { registryRequest, unexpected } from './registry-http.js';
import type { AvroSerde } from './serde.js';

/** One subject of a topology (topic-name strategy: `<topic>-value`) and what the pipeline may do with it. */
export interface SubjectSpec {
  readonly subject: string;
  /** The topology's key for its topic (input, labels, output, deadLetter): named in messages. */
  readonly role: string;
  /** The contract schema of the topic. */
  readonly schema: object;
  /** The pipeline writes records under the subject: the contract schema is registered, and its id returned. */
  readonly writes: boolean;
  /** The topology lets the pipeline create the subject and raise its compatibility level. */
  readonly managed: boolean;
}

/** What the registry holds for a subject: whether it exists, and the level that applies to it. */
interface SubjectState {
  readonly exists: boolean;
  /** The subject's own level, or the registry's default when it has none. */
  readonly level: CompatibilityLevel;
}

type Plan =
  | { readonly kind: 'accept' }
  | { readonly kind: 'raise'; readonly from: CompatibilityLevel; readonly to: CompatibilityLevel }
  | { readonly kind: 'create'; readonly to: CompatibilityLevel | undefined }
  | { readonly kind: 'absent' };

/** Subjects whose level is weaker than the pipeline needs and that it may not change: start-up stops. */
export class SubjectCompatibilityError extends Error {
  readonly retriable = false;
  constructor(readonly problems: readonly string[]) {
    super(problems.length === 1 ? problems[0] : `${problems.length} schema subjects:\n  - ${problems.join('\n  - ')}`);
    this.name = 'SubjectCompatibilityError';
  }
}

function parseLevel(response: { body: unknown; text: string }, what: string): CompatibilityLevel {
  const body = response.body as { compatibilityLevel?: unknown; compatibility?: unknown } | undefined;
  const text = body?.compatibilityLevel ?? body?.compatibility;
  const level = typeof text === 'string' ? parseCompatibilityLevel(text) : undefined;
  if (!level) throw new Error(`${what}: unexpected answer ${response.text.slice(0, 200)}`);
  return level;
}

async function stateOf(connection: RegistryConnection, subject: string): Promise<SubjectState> {
  const name = encodeURIComponent(subject);
  const versions = await registryRequest(connection, 'GET', `/subjects/${name}/versions`);
  if (versions.status !== 200 && versions.status !== 404) {
    throw new Error(`reading subject ${subject}: ${unexpected('GET', `/subjects/${name}/versions`, versions)}`);
  }
  // defaultToGlobal: without it Apicurio answers NONE for a subject with no level of its own, whatever the default
  // (Confluent answers 404). A subject with no level of its own and no versions is unknown to Apicurio: 404.
  const path = `/config/${name}?defaultToGlobal=true`;
  let config = await registryRequest(connection, 'GET', path);
  if (config.status === 404) config = await registryRequest(connection, 'GET', '/config');
  if (config.status !== 200)
    throw new Error(`reading the level of subject ${subject}: ${unexpected('GET', path, config)}`);
  return { exists: versions.status === 200, level: parseLevel(config, `level of subject ${subject}`) };
}

/** The one-line fix an operator can paste: the registry's own API, with the user (curl asks for the password). */
function fixCommand(connection: RegistryConnection, subject: string, level: CompatibilityLevel): string {
  const user = connection.username !== undefined ? ` -u '${connection.username}'` : '';
  return (
    `curl${user} -X PUT -H 'Content-Type: application/vnd.schemaregistry.v1+json' ` +
    `--data '{"compatibility":"${level}"}' '${displayUrl(connection.url)}/config/${encodeURIComponent(subject)}'`
  );
}

/** What to do with the subject, or why the pipeline may not start against it. */
function plan(
  spec: SubjectSpec,
  state: SubjectState,
  needed: CompatibilityLevel,
  connection: RegistryConnection,
): Plan | string {
  const enough = satisfies(state.level, needed);
  const to = strengthen(state.level, needed);
  if (!state.exists) {
    // A subject the pipeline creates is pinned at its level, so that a later change of the registry's default
    // cannot weaken it.
    if (spec.managed) return { kind: 'create', to };
    if (!spec.writes) return { kind: 'absent' };
    if (enough) return { kind: 'create', to: undefined };
  } else {
    if (enough) return { kind: 'accept' };
    if (spec.managed) return { kind: 'raise', from: state.level, to };
  }
  const where = state.exists ? 'has' : 'does not exist yet and would get the registry default,';
  return (
    `schema subject ${spec.subject} (topics.${spec.role}) ${where} compatibility level ${state.level}, weaker than ` +
    `the ${needed} the pipeline needs (every schema registered there must stay readable as the contract); the ` +
    `pipeline changes only the subjects schemaRegistry.manageSubjects lists. Fix: raise it to ${to} with ` +
    `\`${fixCommand(connection, spec.subject, to)}\`, or add ${spec.role} ` +
    `to schemaRegistry.manageSubjects to let the pipeline do it`
  );
}

export interface EnsureSubjectsDeps {
  readonly connection: RegistryConnection;
  readonly serde: AvroSerde;
  readonly log: Logger;
  /** The level every subject must have at least. */
  readonly needed: CompatibilityLevel;
}

/**
 * Makes the topology's subjects fit for the pipeline, and returns the schema ids of the subjects it writes.
 *
 * A subject at a level at least as strict as the one needed is accepted as it is, whoever created it (an upstream
 * team registers the input contract before any consumer exists). A weaker one is raised, to the weakest level that
 * keeps the subject's own promises and adds the needed ones (FORWARD becomes FULL), only when the topology lets the
 * pipeline manage the subject, and the log says so; otherwise start-up stops with one message naming every such
 * subject, its level, the level needed and the command that fixes it. Every subject is checked before anything is
 * changed, so a refused start leaves the registry as it was. Subjects the pipeline only reads and may not manage are
 * never written to; one that does not exist yet is left to its upstream.
 */
export async function ensureSubjects(deps: EnsureSubjectsDeps, specs: readonly SubjectSpec[]): Promise<number[]> {
  const { connection, serde, log, needed } = deps;
  const plans: Plan[] = [];
  const problems: string[] = [];
  for (const spec of specs) {
    const state = await stateOf(connection, spec.subject);
    const decided = plan(spec, state, needed, connection);
    if (typeof decided === 'string') {
      problems.push(decided);
      plans.push({ kind: 'absent' });
      continue;
    }
    plans.push(decided);
    if (decided.kind === 'absent') {
      // Not a reason to stop: nothing can be written under it before its owner registers a schema.
      const fields = { subject: spec.subject, compatibility: state.level, needed };
      if (satisfies(state.level, needed)) {
        log.info(fields, `schema subject ${spec.subject} not registered yet; it will get the registry default`);
      } else {
        log.warn(
          fields,
          `schema subject ${spec.subject} not registered yet, and the registry default ${state.level} is weaker than ` +
            `${needed}: have its owner set the level (${fixCommand(connection, spec.subject, strengthen(state.level, needed))})`,
        );
      }
    }
  }
  if (problems.length > 0) throw new SubjectCompatibilityError(problems);

  const ids: number[] = [];
  for (const [i, spec] of specs.entries()) {
    const decided = plans[i]!;
    if (decided.kind === 'raise') {
      await serde.setCompatibility(spec.subject, decided.to);
      log.warn(
        {
          subject: spec.subject,
          from: decided.from,
          to: decided.to,
          allowedBy: `schemaRegistry.manageSubjects: ${spec.role}`,
        },
        `raised the compatibility level of schema subject ${spec.subject} from ${decided.from} to ${decided.to}`,
      );
    }
    if (spec.writes || decided.kind === 'create') {
      const id = await serde.register(spec.subject, spec.schema);
      if (spec.writes) ids.push(id);
    }
    if (decided.kind === 'create' && decided.to !== undefined) {
      await serde.setCompatibility(spec.subject, decided.to);
      log.info({ subject: spec.subject, compatibility: decided.to }, `created schema subject ${spec.subject}`);
    }
  }
  return ids;
}
