/**
 * A live stream as a downstream service sees it: a steady upstream producer (event time = now), labels flowing at a
 * realistic rate, a worker started as users start it (`fraudscore run`, a child process), and a read_committed
 * reader timing each score from produce to visible. Shared by the live-latency benchmark (load-tests/) and the
 * integration test that asserts generous bounds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Partitioners, type Consumer, type Producer } from 'kafkajs';
import { createAvroSerde } from '../../src/adapters/registry/serde.js';
import { readContractSchema } from '../../src/adapters/registry/contract-schemas.js';
import { createIsolatedTopology } from './isolated-topology.js';

export interface LiveStreamOptions {
  /** Upstream transactions per second. */
  readonly ratePerSecond: number;
  /** How long the producer sends. */
  readonly durationMs: number;
  readonly maxWaitMs: number;
  readonly maxRecords?: number;
  /** The live close's threshold (batch.minRecords); the topology's when absent. */
  readonly minRecords?: number;
  /** Labels per second (fraud reports for transactions sent earlier, reported_at = now). */
  readonly labelsPerSecond?: number;
  /** Distinct customers and terminals the traffic is spread over. */
  readonly customers?: number;
  readonly terminals?: number;
  /** How long to wait for the last scores after the producer stops. */
  readonly drainTimeoutMs?: number;
}

export interface LiveStreamResult {
  readonly sent: number;
  readonly visible: number;
  /** Produce (event time) → score visible to a read_committed reader, per record, ms. */
  readonly latenciesMs: readonly number[];
  /** Committed batches per close reason, from the worker's /metrics. */
  readonly closeReasons: Readonly<Record<string, number>>;
  /** Mean per-batch time of each stage and of the whole batch (close → commit, `batch`), from the worker's /metrics. */
  readonly meanBatchMs: Readonly<Record<string, number>>;
  readonly duplicates: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function startWorker(file: string): ChildProcess {
  const worker = spawn(process.execPath, ['dist/src/cli/main.js', 'run', '--topology', file, '--instance-id', 'live'], {
    env: { ...process.env, FRAUDSCORE_LOG_LEVEL: process.env['LIVE_STREAM_LOG_LEVEL'] ?? 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return worker;
}

async function stopWorker(worker: ChildProcess): Promise<void> {
  if (worker.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.kill('SIGTERM');
  const timer = setTimeout(() => worker.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

interface WorkerFigures {
  readonly closeReasons: Record<string, number>;
  readonly meanBatchMs: Record<string, number>;
}

async function workerFigures(port: number): Promise<WorkerFigures> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const closeReasons: Record<string, number> = {};
  for (const match of text.matchAll(/^fraudscore_batches_total\{[^}]*close_reason="([a-z]+)"[^}]*\} (\d+)/gm)) {
    closeReasons[match[1] as string] = Number(match[2]);
  }
  const sums = new Map<string, { sum: number; count: number }>();
  for (const match of text.matchAll(/^fraudscore_(stage|batch)_latency_ms_(sum|count)\{([^}]*)\} (\S+)/gm)) {
    const name = match[1] === 'batch' ? 'batch' : (/stage="([a-z_]+)"/.exec(match[3] as string)?.[1] ?? '?');
    const entry = sums.get(name) ?? { sum: 0, count: 0 };
    entry[match[2] as 'sum' | 'count'] = Number(match[4]);
    sums.set(name, entry);
  }
  const meanBatchMs: Record<string, number> = {};
  for (const [name, { sum, count }] of sums) if (count > 0) meanBatchMs[name] = sum / count;
  return { closeReasons, meanBatchMs };
}

/** Runs one live stream against the local stack on isolated topics, and removes them afterwards. */
export async function measureLiveStream(options: LiveStreamOptions): Promise<LiveStreamResult> {
  const metricsPort = await freePort();
  const { topology, kafka, admin, topics, file } = await createIsolatedTopology({
    name: `live-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`,
    overrides: {
      maxRecords: options.maxRecords ?? 1000,
      maxWaitMs: options.maxWaitMs,
      ...(options.minRecords === undefined ? {} : { minRecords: options.minRecords }),
      metricsPort,
    },
    clientId: 'fraudscore-live',
  });
  const { input, output, labels } = topology.topics;
  const serde = createAvroSerde({ url: topology.schemaRegistry.url });
  const transactionSchemaId = await serde.register(`${input}-value`, readContractSchema('transaction'));
  const labelSchemaId = await serde.register(`${labels}-value`, readContractSchema('label'));
  const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
  await producer.connect();

  const seen = new Map<string, number>();
  let duplicates = 0;
  let warmedUp = false;
  const reader: Consumer = kafka.consumer({ groupId: `${topology.consumerGroup}-reader`, readUncommitted: false });
  await reader.connect();
  await reader.subscribe({ topic: output, fromBeginning: true });
  await reader.run({
    eachBatch: async ({ batch }) => {
      const visibleAt = Date.now();
      for (const message of batch.messages) {
        const decoded = await serde.decode(message.value);
        if (!decoded.ok)
          throw new Error(`undecodable score at ${batch.partition}@${message.offset}: ${decoded.detail}`);
        const id = decoded.value['transaction_id'] as string;
        if (!id.startsWith('live-')) {
          warmedUp = true;
          continue;
        }
        if (seen.has(id)) duplicates++;
        else seen.set(id, visibleAt - (decoded.value['event_time'] as number));
      }
    },
  });

  const worker = startWorker(file);
  try {
    // Warm-up: the worker is up (group joined, model loaded) once a first record comes back scored.
    const customers = options.customers ?? 5_000;
    const terminals = options.terminals ?? 10_000;
    const warmUpDeadline = Date.now() + 120_000;
    let warmUps = 0;
    while (!warmedUp) {
      if (worker.exitCode !== null) throw new Error(`worker exited with code ${worker.exitCode} during warm-up`);
      if (Date.now() > warmUpDeadline) throw new Error('no score came back within 120 s of starting the worker');
      const now = Date.now();
      await producer.send({
        topic: input,
        acks: -1,
        messages: [
          {
            key: 'warm-up',
            value: serde.encode(transactionSchemaId, {
              transaction_id: `warm-up-${warmUps++}`,
              event_time: now,
              customer_id: 'warm-up',
              terminal_id: 'warm-up',
              amount: 1,
              currency: 'EUR',
            }),
          },
        ],
      });
      await sleep(Math.min(2_000, options.maxWaitMs + 500));
    }

    // Steady traffic: a tick every 10 ms sends what the rate owes by then, so the rate holds on average. The
    // measured records are those sent during durationMs; the stream then goes on (unmeasured) until they are all
    // visible, as a live stream would: the last measured records must not wait for a window that only closes because
    // the stream stopped.
    const tickMs = 10;
    const started = Date.now();
    let sent = 0;
    let measured = 0;
    let labelled = 0;
    const sentIds: string[] = [];
    const drainDeadline = started + options.durationMs + (options.drainTimeoutMs ?? options.maxWaitMs + 30_000);
    while (Date.now() < drainDeadline) {
      const elapsed = Date.now() - started;
      const measuring = elapsed < options.durationMs;
      if (!measuring && seen.size >= measured) break;
      const due = Math.floor((elapsed * options.ratePerSecond) / 1000);
      const labelsDue = Math.floor((elapsed * (options.labelsPerSecond ?? 0)) / 1000);
      const now = Date.now();
      const transactions = [];
      for (; sent < due; sent++) {
        const customer = `c-${(sent * 7919) % customers}`;
        const id = measuring ? `live-${sent}` : `fill-${sent}`;
        if (measuring) measured++;
        sentIds.push(id);
        transactions.push({
          key: customer,
          value: serde.encode(transactionSchemaId, {
            transaction_id: id,
            event_time: now,
            customer_id: customer,
            terminal_id: `t-${(sent * 104_729) % terminals}`,
            amount: ((sent * 37) % 30_000) / 100,
            currency: 'EUR',
          }),
        });
      }
      const reports = [];
      for (; labelled < labelsDue && labelled < sentIds.length; labelled++) {
        const id = sentIds[(labelled * 7) % sentIds.length] as string;
        reports.push({
          key: id,
          value: serde.encode(labelSchemaId, { transaction_id: id, is_fraud: labelled % 3 === 0, reported_at: now }),
        });
      }
      const sends = [];
      if (transactions.length > 0) sends.push(producer.send({ topic: input, acks: -1, messages: transactions }));
      if (reports.length > 0) sends.push(producer.send({ topic: labels, acks: -1, messages: reports }));
      await Promise.all(sends);
      const next = started + (Math.floor((Date.now() - started) / tickMs) + 1) * tickMs;
      await sleep(Math.max(0, next - Date.now()));
    }
    // A little longer: a duplicate would show up now.
    await sleep(1_000);
    const figures = await workerFigures(metricsPort);
    return { sent: measured, visible: seen.size, latenciesMs: [...seen.values()], ...figures, duplicates };
  } finally {
    await stopWorker(worker);
    await reader.disconnect();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [...topics] }).catch(() => undefined);
    await admin.disconnect();
  }
}
