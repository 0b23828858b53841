/**
 * Population stability index of actual bin counts against reference shares:
 * PSI = sum over bins of (a - e) * ln(a / e), with a and e the actual and reference shares, each first raised to at
 * least `epsilon` (max(share, epsilon), both sides alike), so an empty bin on either side adds a large but finite
 * term. Conventional reading: < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 major shift.
 */
export function psi(referenceShares: ArrayLike<number>, actualCounts: ArrayLike<number>, epsilon: number): number {
  if (referenceShares.length !== actualCounts.length) {
    throw new RangeError(`psi: ${referenceShares.length} reference bins but ${actualCounts.length} actual bins`);
  }
  let total = 0;
  for (let i = 0; i < actualCounts.length; i++) total += actualCounts[i] as number;
  if (total <= 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < actualCounts.length; i++) {
    const expected = Math.max(referenceShares[i] as number, epsilon);
    const actual = Math.max((actualCounts[i] as number) / total, epsilon);
    sum += (actual - expected) * Math.log(actual / expected);
  }
  return sum;
}
