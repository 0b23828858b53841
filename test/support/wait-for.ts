/** Polls every 500 ms until `poll` gives a value; throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, poll: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await poll();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 500));
  }
}
