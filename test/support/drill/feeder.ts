import { validEvents, type TestEvent } from '../events.js';
import type { TestProducer } from '../stack.js';

/** Bytes that must become dead letters whatever else happens: the drill's dead-letter path under faults. */
function hostile(index: number, prefix: string, encode: (event: TestEvent) => Buffer): Buffer | null {
  switch (index % 3) {
    case 0:
      return Buffer.from(`{"transaction_id":"${prefix}-json-${index}"}`); // NOT_WIRE_FORMAT
    case 1:
      return null; // MISSING_VALUE
    default: {
      const [event] = validEvents(1, `${prefix}-neg-${index}`);
      return encode({ ...(event as TestEvent), amount: -1 }); // INVALID_AMOUNT
    }
  }
}

/**
 * An upstream producer the drill calls on demand: `feed(n)` writes the next n input records (valid events keyed by
 * customer, and every `hostileEvery`-th record a hostile one) and retries a failed send until it lands, as a
 * well-behaved upstream would through a broker restart. A retried send may write some records twice: the drill
 * accounts by input position, read back from the topic, so every copy must get its own outcome.
 */
export class Feeder {
  private readonly events: TestEvent[];
  private next = 0;
  private hostileCount = 0;
  /** Schema id the valid events are written with; a drill may switch it (a new schema version upstream). */
  schemaId: number;
  /** Failed sends that were retried. */
  sendRetries = 0;

  constructor(
    private readonly producer: TestProducer,
    private readonly topic: string,
    total: number,
    private readonly prefix: string,
    private readonly hostileEvery = 50,
  ) {
    this.events = validEvents(total, prefix);
    this.schemaId = producer.transactionSchemaId;
  }

  get produced(): number {
    return this.next;
  }

  get remaining(): number {
    return this.events.length - this.next;
  }

  /** Event time of the last event fed (the events are in event-time order), or undefined before the first. */
  get lastEventTimeMs(): number | undefined {
    return this.events[this.next - 1]?.event_time;
  }

  get hostile(): number {
    return this.hostileCount;
  }

  /** Writes the next `count` records (fewer if the events run out); safe to call while a trickle runs. */
  async feed(count: number, deadlineMs = 180_000): Promise<number> {
    const n = Math.min(count, this.remaining);
    const from = this.next;
    this.next += n;
    const encode = (event: TestEvent) => this.producer.serde.encode(this.schemaId, event);
    const messages: { key: string | null; value: Buffer | null }[] = [];
    for (let i = 0; i < n; i++) {
      const index = from + i;
      const event = this.events[index] as TestEvent;
      if (this.hostileEvery > 0 && index % this.hostileEvery === this.hostileEvery - 1) {
        this.hostileCount++;
        messages.push({ key: event.customer_id, value: hostile(this.hostileCount, this.prefix, encode) });
      } else {
        messages.push({ key: event.customer_id, value: encode(event) });
      }
    }
    const giveUpAt = Date.now() + deadlineMs;
    for (let i = 0; i < messages.length; i += 500) {
      const chunk = messages.slice(i, i + 500);
      for (;;) {
        try {
          await this.producer.send(this.topic, chunk);
          break;
        } catch (error) {
          if (Date.now() > giveUpAt) throw error;
          this.sendRetries++;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    }
    return n;
  }

  /**
   * Keeps records arriving while a fault is injected (so that batches are in flight when it strikes, and records
   * wait while it lasts): `perSecond` records a second, at most `budget` in all, until the returned stop() is called.
   */
  trickle(perSecond: number, budget: number): { stop: () => Promise<number> } {
    let stopped = false;
    let fed = 0;
    const loop = (async () => {
      const tick = 100;
      const each = Math.max(1, Math.round((perSecond * tick) / 1000));
      while (!stopped && fed < budget && this.remaining > 0) {
        const started = Date.now();
        fed += await this.feed(Math.min(each, budget - fed));
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, tick - (Date.now() - started))));
      }
    })();
    return {
      stop: async () => {
        stopped = true;
        await loop;
        return fed;
      },
    };
  }
}
