import type { AvroSerde } from '../adapters/registry/serde.js';
import type { Logger } from '../adapters/observability/logger.js';

export interface OutputSchemaIds {
  readonly score: number;
  readonly deadLetter: number;
}

export interface OutputSchemasDeps {
  readonly serde: AvroSerde;
  /** The ids registered at start-up. */
  readonly initial: OutputSchemaIds;
  /** The contract schemas the ids must mean. */
  readonly schemas: { readonly score: object; readonly deadLetter: object };
  /** Registers every contract subject again and returns the output ids (contract-subjects.ts: registerContractSchemas). */
  readonly register: () => Promise<OutputSchemaIds>;
  readonly log: Logger;
  readonly clock: () => number;
  /** How often the registry is asked what the ids mean, while batches flow. Default 1 s. */
  readonly checkEveryMs?: number;
  /** How long a batch waits for that answer while the registry's state is in doubt. Default 200 ms. */
  readonly doubtWaitMs?: number;
}

/**
 * The schema ids outputs are encoded with, kept true to the registry.
 *
 * Ids belong to the registry: one that loses its state (the local stack's in-memory registry, on any restart) hands
 * the same numbers out again, to whatever is registered first. Encoding with an id that now means nothing, or another
 * schema, publishes records that no reader decodes, or that readers decode wrongly. So the registry is asked what the
 * ids mean (GET /schemas/ids/<id>: ~25 ms each on Apicurio here, too slow for every batch, so at most once a second,
 * beside the batches). Once they no longer mean the contract schemas, the serde forgets every id it learnt and the
 * next batch registers the subjects again before it encodes anything; if that fails the batch fails and is retried,
 * so nothing is published with an id known to be stale.
 *
 * A registry that does not answer is not a reason to stop: ids cannot change while nobody can register, so batches
 * go on with the ids they have (and decode with the schemas they cached). But the registry may come back empty. So
 * while it does not answer, and after a quiet spell with no answer for two check periods (a restart fits in it),
 * each batch waits for a fresh answer before encoding, at most doubtWaitMs (a registry that hangs rather than refuses
 * must not stall the pipeline). A restart is therefore noticed before the first batch after it encodes, unless it
 * takes less than a second in the middle of steady traffic.
 */
export class OutputSchemas {
  private ids: OutputSchemaIds;
  private lastCheckMs: number;
  /** When the registry last answered a check (or the start-up registration). */
  private lastAnswerMs: number;
  private check: Promise<void> | undefined;
  private unreachableSinceMs: number | undefined;
  private stale = false;
  private forgotten = false;

  constructor(private readonly deps: OutputSchemasDeps) {
    this.ids = deps.initial;
    this.lastCheckMs = this.lastAnswerMs = deps.clock();
  }

  /** The ids to encode this batch with. Throws when they are stale and cannot be registered again yet. */
  async current(): Promise<OutputSchemaIds> {
    const now = this.deps.clock();
    const period = this.deps.checkEveryMs ?? 1_000;
    const unreachable = this.unreachableSinceMs !== undefined;
    if (!this.check && (unreachable || now - this.lastCheckMs >= period)) {
      this.lastCheckMs = now;
      this.check = this.verify().finally(() => (this.check = undefined));
    }
    if (this.check && (unreachable || now - this.lastAnswerMs > 2 * period)) {
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise((resolve) => (timer = setTimeout(resolve, this.deps.doubtWaitMs ?? 200)));
      await Promise.race([this.check, waited]);
      clearTimeout(timer);
    }
    if (this.stale) await this.registerAgain();
    return this.ids;
  }

  /** Never rejects: an unanswered request marks the registry unreachable, a changed meaning marks the ids stale. */
  private async verify(): Promise<void> {
    const { serde, schemas, log, clock } = this.deps;
    const ids = this.ids;
    let verdicts: string[];
    try {
      verdicts = await Promise.all([
        serde.describeId(ids.score, schemas.score),
        serde.describeId(ids.deadLetter, schemas.deadLetter),
      ]);
    } catch (error) {
      if (this.unreachableSinceMs === undefined) {
        this.unreachableSinceMs = clock();
        log.warn(
          { err: (error as Error).message },
          'schema registry unreachable; encoding with the ids registered before',
        );
      }
      return;
    }
    this.lastAnswerMs = clock();
    if (this.unreachableSinceMs !== undefined) {
      log.info({ unreachableMs: this.lastAnswerMs - this.unreachableSinceMs }, 'schema registry answers again');
      this.unreachableSinceMs = undefined;
    }
    if (ids === this.ids && !verdicts.every((verdict) => verdict === 'same')) {
      log.warn(
        { score: `${ids.score} ${verdicts[0]}`, deadLetter: `${ids.deadLetter} ${verdicts[1]}` },
        'the schema registry no longer maps the output schema ids to the contract schemas (state lost?); ' +
          'registering the subjects again before the next encode',
      );
      this.stale = true;
    }
  }

  private async registerAgain(): Promise<void> {
    if (!this.forgotten) {
      this.deps.serde.forgetIds();
      this.forgotten = true;
    }
    this.ids = await this.deps.register();
    this.lastAnswerMs = this.deps.clock();
    this.stale = false;
    this.forgotten = false;
    this.deps.log.warn({ ...this.ids }, 'output schemas registered again');
  }
}
