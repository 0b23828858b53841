import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer } from 'kafkajs';
import type { Logger } from '../observability/logger.js';
import { restartDelayMs } from './restart-backoff.js';

/**
 * How long a consumer may keep failing to find its group coordinator, with no fetch completed in between, before it is
 * given up after all: longer than a broker's restart, short enough that a group nobody may read (an ACL missing, which
 * kafkajs reports the same way) ends in an error rather than in a reader that waits for ever.
 */
export const COORDINATOR_OUTAGE_LIMIT_MS = 5 * 60_000;

/**
 * What kafkajs throws, as an error it does not retry, when no broker answered the question "which broker coordinates
 * this group": every broker refused the connection or answered with an error (a broker restarting, a cluster being
 * rolled). kafkajs then stops the consumer for good (its issues 1445 and 1630), though the brokers are back seconds
 * later.
 */
export function isCoordinatorNotFound(error: Error): boolean {
  // A running consumer's rejoin fails inside kafkajs's fetch-loop retrier, which wraps the error it does not retry in
  // a KafkaJSNonRetriableError (the lookup's error is its cause); a first join passes it on as it is.
  let cause: unknown = error;
  for (let depth = 0; depth < 8 && cause instanceof Error; depth++, cause = cause.cause) {
    if (cause.name === 'KafkaJSGroupCoordinatorNotFound') return true;
  }
  return false;
}

/** How a consumer is run again after kafkajs stopped it for want of its group coordinator. */
export interface RerunAfterOutage {
  /** Runs the consumer again, with the options of its first run (kafkajs connects it again itself). */
  readonly run: () => Promise<void>;
  /** Aborted when the consumer's owner stops it: no rerun starts after that. */
  readonly signal: AbortSignal;
  /** Told before each wait, for the log: the error and how long until the consumer runs again. */
  readonly onRerun?: (error: Error, inMs: number) => void;
  readonly clock?: () => number;
}

/**
 * Resolves with the error after which kafkajs gave `consumer` up for good. After an error it does not retry (an
 * authorization failure, a broker that refuses the group's settings), kafkajs stops the consumer, emits CRASH with
 * `restart: false` and never fetches again, while the process and everything else in it go on: a reader that does not
 * listen sits still and looks healthy. Errors kafkajs retries (it restarts the consumer itself) do not resolve it.
 * With `rerun`, a consumer stopped for want of its group coordinator (isCoordinatorNotFound: a broker restarting) is
 * run again instead, waits spaced as kafkajs's own restarts are (restartDelayMs), until a fetch completes; it is
 * given up only once that has gone on for COORDINATOR_OUTAGE_LIMIT_MS. Call before `run`.
 */
export function consumerGivenUp(consumer: Consumer, rerun?: RerunAfterOutage): Promise<Error> {
  return new Promise((resolve) => {
    const clock = rerun?.clock ?? Date.now;
    let outageSinceMs: number | null = null;
    let reruns = 0;
    if (rerun) {
      consumer.on(consumer.events.FETCH, () => {
        outageSinceMs = null;
        reruns = 0;
      });
    }
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      const { error, groupId } = payload;
      if (rerun && isCoordinatorNotFound(error)) {
        // Its owner is stopping it: nothing to run again, and nothing to report.
        if (rerun.signal.aborted) return;
        const nowMs = clock();
        outageSinceMs ??= nowMs;
        if (nowMs - outageSinceMs < COORDINATOR_OUTAGE_LIMIT_MS) {
          reruns++;
          const waitMs = restartDelayMs(reruns);
          rerun.onRerun?.(error, waitMs);
          runAgain(rerun, waitMs).catch((failure: unknown) => resolve(failure as Error));
          return;
        }
        resolve(
          new Error(
            `${error.message} for ${COORDINATOR_OUTAGE_LIMIT_MS / 60_000} minutes (group ${groupId}), run again ` +
              `${reruns} times: no broker answered all that time, or this client may not use the group (an ACL ` +
              'missing for the group id)',
            { cause: error },
          ),
        );
        return;
      }
      // The one a configuration causes: the group's live members chose partitions with another assignor.
      if ((error as { type?: unknown }).type === 'INCONSISTENT_GROUP_PROTOCOL') {
        resolve(
          new Error(
            `${error.message}: another application's consumers use the group id ${groupId} with another partition ` +
              'assignor; give one of them a group id of its own',
            { cause: error },
          ),
        );
      } else resolve(error);
    });
  });
}

/**
 * RerunAfterOutage's onRerun as a warning in `log`, naming the reader and when it reads again; `limit` says for how
 * long (a reader with a shorter limit of its own says so).
 */
export function warnOfRerun(
  log: Pick<Logger, 'warn'> | undefined,
  reader: string,
  limit = `for at most ${COORDINATOR_OUTAGE_LIMIT_MS / 60_000} minutes without a fetch`,
): RerunAfterOutage['onRerun'] {
  return (error, inMs) =>
    log?.warn(
      { err: error.message, inMs },
      `${reader}: kafkajs stopped it for want of its group coordinator (no broker answered: one restarting, or ` +
        `this client may not use the group: an ACL); running it again, ${limit}`,
    );
}

/** How long a stop waits for a rerun already joining the group, so that the disconnect after it leaves the group. */
const RERUN_SETTLE_WAIT_MS = 15_000;

/**
 * The RerunAfterOutage of one consumer, kept by its owner: `pending` while the consumer is stopped and not yet
 * running again (the reader reads nothing meanwhile), and `stop` before the owner disconnects it. A rerun's
 * `consumer.run` resolves once the consumer has joined (or crashed again): a disconnect made while it joins returns at
 * once without leaving the group (kafkajs's runner is not running yet) and the join, completed later, leaves a
 * consumer nobody can stop.
 */
export class ConsumerReruns implements RerunAfterOutage {
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  private scheduled = 0;
  private ran = 0;
  private inFlight: Promise<unknown> | null = null;

  constructor(
    private readonly runConsumer: () => Promise<void>,
    private readonly notify?: RerunAfterOutage['onRerun'],
  ) {}

  readonly onRerun = (error: Error, inMs: number): void => {
    this.scheduled++;
    this.notify?.(error, inMs);
  };

  readonly run = (): Promise<void> => {
    const upTo = this.scheduled;
    const running = this.runConsumer().finally(() => {
      // A rerun that crashed again has scheduled the next one already: still pending then.
      this.ran = Math.max(this.ran, upTo);
    });
    this.inFlight = running.catch(() => undefined);
    return running;
  };

  /** Stopped by kafkajs and not yet running again. */
  pending(): boolean {
    return this.ran < this.scheduled;
  }

  /** No rerun from now on; resolves once a rerun already started has joined or failed (waiting at most 15 s). */
  async stop(): Promise<void> {
    this.controller.abort();
    this.ran = this.scheduled;
    const inFlight = this.inFlight;
    if (inFlight === null) return;
    await Promise.race([inFlight, sleep(RERUN_SETTLE_WAIT_MS, undefined, { ref: false })]);
  }
}

/** Waits, then runs the consumer again; a stop during the wait ends it quietly. */
async function runAgain(rerun: RerunAfterOutage, waitMs: number): Promise<void> {
  try {
    await sleep(waitMs, undefined, { signal: rerun.signal });
  } catch {
    return;
  }
  await rerun.run();
}

/** An error that names the reader which stopped, what it means for its process and kafkajs's reason. */
export class ReaderStoppedError extends Error {
  constructor(reader: string, consequence: string, cause: Error) {
    super(`${reader} stopped for good (${cause.message}): ${consequence}`, { cause });
    this.name = 'ReaderStoppedError';
  }
}

/** consumerGivenUp, said as the reader that stopped and what that means for its process. */
export function readerStopped(
  consumer: Consumer,
  reader: string,
  consequence: string,
  rerun?: RerunAfterOutage,
): Promise<ReaderStoppedError> {
  return consumerGivenUp(consumer, rerun).then((cause) => new ReaderStoppedError(reader, consequence, cause));
}
