/** Small searches that the engine and both feature-state backends share. */

/** Whether two lists name the same ids in the same order (a read that names what the last record named). */
export function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}

/**
 * The first index i in [low, high) whose value, values[i * stride + field], exceeds `value`; high if none. The values
 * must ascend (weakly) over that range. A stride reads one field of interleaved records.
 */
export function firstAbove(
  values: ArrayLike<number>,
  low: number,
  high: number,
  value: number,
  stride = 1,
  field = 0,
): number {
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (values[mid * stride + field]! <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}
