import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startWorker, type WorkerProcess } from '../worker-process.js';

export interface WorkerExit {
  readonly instanceId: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly atMs: number;
  /** Last lines of the worker's output, for the report. */
  readonly tail: string;
}

/** A line of the workers' pino output that the drill looks for. */
export interface RetryLine {
  readonly instanceId: string;
  readonly stage: string;
  readonly attempt: number;
  readonly delayMs: number;
  readonly err: string;
}

/** A runner line about uncommitted records being given back or read again (give-backs, rewinds, rebalances). */
export interface IntakeLine {
  readonly instanceId: string;
  readonly kind: 'give-back' | 'rewind' | 'rebalance';
  /** Records that were waiting in the intake (give-backs and rebalances). */
  readonly waiting: number;
  readonly atMs: number;
}

const INTAKE_LINES: readonly [IntakeLine['kind'], string][] = [
  ['give-back', '"msg":"no heartbeat answered for over'],
  ['rewind', '"msg":"membership confirmed: partitions sought back'],
  ['rebalance', '"msg":"group rebalancing: uncommitted records dropped'],
];

/**
 * `fraudscore run` child processes, supervised like pods: a worker that exits without being told to is recorded and
 * started again (same instance id) after a second. Each worker's output goes to <logDir>/<instance>.log.
 */
export class WorkerPool {
  private readonly live = new Map<string, WorkerProcess>();
  /** Resolves once the worker logged "pipeline ready" (its SIGTERM handler is installed from then on). */
  private readonly ready = new Map<WorkerProcess, Promise<void>>();
  private readonly dying = new Set<WorkerProcess>();
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private closed = false;
  /** Exits nobody asked for (a crash or a fatal error), oldest first. */
  readonly unexpectedExits: WorkerExit[] = [];
  readonly retries: RetryLine[] = [];
  readonly intake: IntakeLine[] = [];
  starts = 0;

  constructor(
    private readonly topologyFile: string,
    private readonly logDir: string,
    private readonly restartDelayMs = 1_000,
  ) {
    mkdirSync(logDir, { recursive: true });
  }

  ids(): string[] {
    return [...this.live.keys()];
  }

  isRunning(instanceId: string): boolean {
    return this.live.has(instanceId);
  }

  start(instanceId: string): void {
    if (this.closed || this.live.has(instanceId)) return;
    const worker = startWorker(this.topologyFile, instanceId, {
      FRAUDSCORE_LOG_LEVEL: process.env['DRILL_WORKER_LOG_LEVEL'] ?? 'info',
    });
    this.starts++;
    this.live.set(instanceId, worker);
    const log = join(this.logDir, `${instanceId}.log`);
    appendFileSync(log, `===== started pid ${worker.child.pid} at ${new Date().toISOString()}\n`);
    let pending = '';
    let markReady: () => void = () => undefined;
    this.ready.set(worker, new Promise<void>((resolve) => (markReady = resolve)));
    const scan = (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        appendFileSync(log, `${line}\n`);
        // Batch retries, and records held on arrival while the registry cannot decode them (the partition waits).
        if (line.includes('"batch failed; retrying"') || line.includes('"cannot decode arriving records')) {
          this.recordRetry(instanceId, line);
        }
        for (const [kind, text] of INTAKE_LINES) if (line.includes(text)) this.recordIntake(instanceId, kind, line);
        if (line.includes('"msg":"pipeline ready"')) markReady();
      }
    };
    worker.child.stdout?.on('data', scan);
    worker.child.stderr?.on('data', scan);
    void worker.exited.then(() => {
      if (pending) appendFileSync(log, `${pending}\n`);
      const { exitCode: code, signalCode: signal } = worker.child;
      appendFileSync(log, `===== exited code ${code} signal ${signal} at ${new Date().toISOString()}\n`);
      markReady();
      if (this.live.get(instanceId) === worker) this.live.delete(instanceId);
      if (this.dying.delete(worker) || this.closed) return;
      const tail = worker.output().split('\n').slice(-8).join('\n');
      this.unexpectedExits.push({ instanceId, code, signal, atMs: Date.now(), tail });
      const timer = setTimeout(() => {
        this.restartTimers.delete(timer);
        this.start(instanceId);
      }, this.restartDelayMs);
      this.restartTimers.add(timer);
    });
  }

  /** SIGSTOP / SIGCONT: the process freezes (a long GC pause, a frozen VM) and later resumes where it was. */
  signal(instanceId: string, signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.live.get(instanceId)?.child.kill(signal);
  }

  /** SIGKILL: no shutdown hook runs, as when a node dies. Resolves once the process is gone. */
  async kill(instanceId: string): Promise<void> {
    const worker = this.live.get(instanceId);
    if (!worker) return;
    this.dying.add(worker);
    this.live.delete(instanceId);
    worker.child.kill('SIGKILL');
    await worker.exited;
  }

  /**
   * SIGTERM to every worker (a clean stop flushes and commits); resolves with their exit codes. A worker still starting
   * is given a minute to be ready first: before that, SIGTERM ends it with no handler (and nothing to flush).
   */
  async stopAll(): Promise<Record<string, number | null>> {
    this.closed = true;
    for (const timer of this.restartTimers) clearTimeout(timer);
    const codes: Record<string, number | null> = {};
    await Promise.all(
      [...this.live].map(async ([id, worker]) => {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([this.ready.get(worker), new Promise((r) => (timer = setTimeout(r, 60_000)))]);
        clearTimeout(timer);
        this.dying.add(worker);
        worker.child.kill('SIGTERM');
        const killer = setTimeout(() => worker.child.kill('SIGKILL'), 60_000);
        codes[id] = await worker.exited;
        clearTimeout(killer);
      }),
    );
    this.live.clear();
    return codes;
  }

  private recordIntake(instanceId: string, kind: IntakeLine['kind'], line: string): void {
    let waiting = 0;
    try {
      const entry = JSON.parse(line) as { waiting?: number; dropped?: number };
      waiting = entry.waiting ?? entry.dropped ?? 0;
    } catch {
      // Not JSON: counted, without a record count.
    }
    this.intake.push({ instanceId, kind, waiting, atMs: Date.now() });
  }

  private recordRetry(instanceId: string, line: string): void {
    try {
      const entry = JSON.parse(line) as { stage?: string; attempt?: number; delayMs?: number; err?: string };
      this.retries.push({
        instanceId,
        stage: entry.stage ?? '?',
        attempt: entry.attempt ?? 0,
        delayMs: entry.delayMs ?? 0,
        err: (entry.err ?? '').slice(0, 160),
      });
    } catch {
      // Not JSON (a stack trace line): nothing to count.
    }
  }
}
