/** A wait that ran out: the work may still finish, but nobody waits for it any more. */
export class TimedOut extends Error {}

/** The work's result, or a TimedOut rejection once `ms` have passed without one. */
export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimedOut(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
