import {
  parseCompatibilityLevel,
  satisfies,
  shortfall,
  strengthen,
  type CompatibilityLevel,
  type Shortfall,
} from '../../core/contract/compatibility.js';
import { displayUrl, type RegistryConnection } from '../../config/index.js';
import type { Logger } from '../observability/logger.js';
import { registryRequest, unexpected } from './registry-http.js';
import type { AvroSerde } from './serde.js';
import { unreadableVersions, type RegisteredVersion, type UnreadableVersion } from './version-readability.js';

/** One subject of a topology (topic-name strategy: `<topic>-value`) and what the pipeline may do with it. */
export interface SubjectSpec {
  readonly subject: string;
  /** The topology's key for its topic (input, labels, output, deadLetter): named in messages. */
  readonly role: string;
  /** The contract schema of the topic. */
  readonly schema: object;
  /** The pipeline writes records under the subject: the contract schema is registered, and its id returned. */
  readonly writes: boolean;
  /** The level the subject must have at least (NEEDED_COMPATIBILITY in core/contract/compatibility.ts). */
  readonly needed: CompatibilityLevel;
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

/**
 * What a level falling short lets happen, after its name, by the side the pipeline is on: `read` subjects are read with
 * the contract as the reader schema (upstream writes), `written` ones are read by consumers on older and newer schemas.
 */
const RISKS: Record<'read' | 'written', Record<Shortfall, string>> = {
  read: {
    forward:
      'lets upstream register a version the contract cannot read (a field the contract reads removed, or made ' +
      'nullable): every record written with it would be dead-lettered WRONG_SCHEMA',
    transitive:
      'checks a new version against the latest one only, not against the contract: a version that drops an optional ' +
      'field, then one that brings it back with another type, both pass, and every record written with the second ' +
      'would be dead-lettered WRONG_SCHEMA',
    backward: 'lets upstream register a version that cannot read what older versions wrote',
  },
  written: {
    forward:
      'lets a newer release of the pipeline register a schema that consumers still reading with an older one cannot ' +
      'read (a field removed, a type changed)',
    transitive:
      'checks a new version against the latest one only: a consumer still reading with an older version could fail ' +
      'on what a newer release of the pipeline writes',
    backward:
      'lets a newer release of the pipeline register a schema that cannot read what older releases wrote (a new ' +
      'field without a default): the evaluator, and every consumer that upgrades, would fail on those records',
  },
};

function risks(spec: SubjectSpec, level: CompatibilityLevel): string {
  const side = spec.writes ? 'written' : 'read';
  return shortfall(level, spec.needed)
    .map((missing) => `${level} ${RISKS[side][missing]}`)
    .join('; ');
}

/** What to do with the subject, or why the pipeline may not start against it. */
function plan(spec: SubjectSpec, state: SubjectState, connection: RegistryConnection): Plan | string {
  const { needed } = spec;
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
  const keeps =
    to === needed ? '' : ` (keeping the ${state.level} promise; ${needed} alone is enough for the pipeline)`;
  return (
    `schema subject ${spec.subject} (topics.${spec.role}) ${where} compatibility level ${state.level}, weaker than ` +
    `the ${needed} the pipeline needs there: ${risks(spec, state.level)}. The pipeline changes only the subjects ` +
    `schemaRegistry.manageSubjects lists. Fix: raise it to ${to}${keeps} with ` +
    `\`${fixCommand(connection, spec.subject, to)}\`, or add ${spec.role} to schemaRegistry.manageSubjects to let ` +
    `the pipeline do it`
  );
}

export interface EnsureSubjectsDeps {
  readonly connection: RegistryConnection;
  readonly serde: AvroSerde;
  readonly log: Logger;
}

/**
 * Makes the topology's subjects fit for the pipeline, and returns the schema ids of the subjects it writes.
 *
 * A subject at a level at least as strict as the one it needs is accepted as it is, whoever created it (an upstream
 * team registers the input contract before any consumer exists). A weaker one is raised, to the weakest level that
 * keeps the subject's own promises and adds the needed ones (BACKWARD and FORWARD_TRANSITIVE make FULL_TRANSITIVE),
 * only when the topology lets the pipeline manage the subject, and the log says so; otherwise start-up stops with one
 * message naming every such subject, its level, the level needed, what that level lets go wrong and the command that
 * fixes it. Every subject is checked before anything is
 * changed, so a refused start leaves the registry as it was. Subjects the pipeline only reads and may not manage are
 * never written to; one that does not exist yet is left to its upstream.
 */
export async function ensureSubjects(deps: EnsureSubjectsDeps, specs: readonly SubjectSpec[]): Promise<number[]> {
  const { connection, serde, log } = deps;
  const plans: Plan[] = [];
  const problems: string[] = [];
  for (const spec of specs) {
    const state = await stateOf(connection, spec.subject);
    const decided = plan(spec, state, connection);
    if (typeof decided === 'string') {
      problems.push(decided);
      plans.push({ kind: 'absent' });
      continue;
    }
    plans.push(decided);
    if (decided.kind === 'absent') {
      // Not a reason to stop: nothing can be written under it before its owner registers a schema.
      const { needed } = spec;
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

/**
 * The versions registered under `subject` that `reader` (the contract schema) cannot read, with why: every version
 * the registry lists (`GET /subjects/{subject}/versions`, which leaves deleted ones out), each fetched once. None for
 * a subject that does not exist yet. Throws when the registry answers otherwise than with the versions.
 */
export async function unreadableVersionsOf(
  connection: RegistryConnection,
  subject: string,
  reader: object,
): Promise<UnreadableVersion[]> {
  const base = `/subjects/${encodeURIComponent(subject)}/versions`;
  const listed = await registryRequest(connection, 'GET', base);
  if (listed.status === 404) return [];
  if (listed.status !== 200 || !Array.isArray(listed.body)) {
    throw new Error(`listing the versions of subject ${subject}: ${unexpected('GET', base, listed)}`);
  }
  const versions: RegisteredVersion[] = [];
  for (const version of listed.body as unknown[]) {
    const path = `${base}/${String(version)}`;
    const response = await registryRequest(connection, 'GET', path);
    const body = response.body as Partial<RegisteredVersion> | undefined;
    if (response.status !== 200 || typeof body?.id !== 'number' || typeof body.schema !== 'string') {
      throw new Error(`reading version ${String(version)} of subject ${subject}: ${unexpected('GET', path, response)}`);
    }
    versions.push({
      version: typeof body.version === 'number' ? body.version : Number(version),
      id: body.id,
      schema: body.schema,
      ...(typeof body.schemaType === 'string' ? { schemaType: body.schemaType } : {}),
      ...(Array.isArray(body.references) ? { references: body.references } : {}),
    });
  }
  return unreadableVersions(reader, versions);
}
