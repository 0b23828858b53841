/**
 * Runs an asynchronous check every interval, one at a time: a check that outlasts the interval delays the next one
 * rather than overlapping it. The timer does not keep the process alive; stop() waits for a check under way.
 */
export class SerialPoll {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly check: () => Promise<void>) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.running = this.running.then(this.check);
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
