import type { OutcomeReport } from './outcomes.js';
import type { WorkerExit } from './workers.js';

export const SCENARIOS = ['kill', 'broker', 'redis', 'registry', 'rebalance'] as const;
/**
 * Not in the default mix: "pause" freezes one of two workers (SIGSTOP) for longer than its session, lets the other
 * take its partitions, then resumes it: a zombie. kafkajs commits offsets in a transaction without the group
 * generation (TxnOffsetCommit v0/v1, no KIP-447 fencing), so this drill shows what a zombie can do. "starve": while
 * event-time alignment holds records back (an upstream transaction left open on one partition), no heartbeat is
 * answered for longer than the membership lease but shorter than the session, so the worker gives back what it holds
 * without a rebalance (test/support/drill/starve.ts).
 */
export const EXTRA_SCENARIOS = ['pause', 'starve'] as const;
export type Scenario = (typeof SCENARIOS)[number] | (typeof EXTRA_SCENARIOS)[number];

export interface DrillOptions {
  readonly events: number;
  /** SIGKILLs of a worker (scenario "kill"); half before the other faults, half after. */
  readonly kills: number;
  readonly scenarios: readonly Scenario[];
  /** Small batches put more kills inside a transaction. 100 is the topology's minimum. */
  readonly maxRecords?: number;
  readonly maxWaitMs?: number;
  readonly partitions?: number;
  /** Seeds the kill moments and victims, so that a drill can be run again the same way. */
  readonly seed?: number;
  /**
   * Redis with its append-only file (fsync every second), as production must run it: default on. Off, a Redis restart
   * empties the feature state, scoring pauses, and the drill rebuilds the state with `fraudscore state rebuild`.
   */
  readonly redisAppendOnly?: boolean;
  /** Ask the transaction coordinator, after each kill, where it landed (a JVM start per kill: ~4 s). */
  readonly classifyKills?: boolean;
  /** The whole drill gives up (and fails) after this long. */
  readonly timeLimitMs?: number;
  /** Worker logs go here. */
  readonly logDir: string;
  readonly log?: (line: string) => void;
}

export interface FaultRecord {
  readonly kind:
    | 'kill'
    | 'broker restart'
    | 'redis down'
    | 'redis restart'
    | 'registry outage'
    | 'registry reset'
    | 'worker added'
    | 'rebalance kill'
    | 'pause'
    | 'starved give-back';
  readonly detail: string;
  /** How long injecting the fault took (the outage, for a service; kill, inspection and restart, for a worker). */
  readonly faultMs: number;
  /** From the end of the fault to every record fed so far committed; undefined if that never happened. */
  readonly caughtUpMs?: number;
  /** Workers that exited on their own during the fault and its recovery (restarted by the pool). */
  readonly workerExits: number;
  /** "batch failed; retrying" lines the workers logged during the fault and its recovery. */
  readonly retries: number;
}

export interface DrillCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DrillReport {
  readonly scenarios: readonly Scenario[];
  readonly seed: number;
  readonly topology: string;
  readonly durationMs: number;
  readonly faults: FaultRecord[];
  readonly killPhases: Record<string, number>;
  readonly unexpectedExits: WorkerExit[];
  readonly retriesByStage: Record<string, number>;
  readonly maxRetryDelayMs: number;
  readonly workerStarts: number;
  readonly stopCodes: Record<string, number | null>;
  readonly producerSendRetries: number;
  readonly outcome: OutcomeReport | undefined;
  readonly checks: DrillCheck[];
  readonly ok: boolean;
  readonly error?: string;
}
