/**
 * Population stability index of two score samples in [0, 1], over fixed equal-width bins (scores are probabilities,
 * so fixed bins compare any two models alike). Empty bins get a small floor so that one empty side does not make
 * the index infinite. A common reading: < 0.1 stable, 0.1..0.25 moderate shift, > 0.25 significant shift.
 */
export const PSI_BINS = 10;
const FLOOR = 1e-4;

function shares(scores: readonly number[], bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (const score of scores) {
    const bin = Math.min(bins - 1, Math.max(0, Math.floor(score * bins)));
    counts[bin] = (counts[bin] as number) + 1;
  }
  return counts.map((count) => Math.max(FLOOR, count / Math.max(1, scores.length)));
}

/** PSI of `actual` against `expected`; NaN when either sample is empty (no data is no verdict). */
export function scorePsi(expected: readonly number[], actual: readonly number[], bins = PSI_BINS): number {
  if (expected.length === 0 || actual.length === 0) return Number.NaN;
  const e = shares(expected, bins);
  const a = shares(actual, bins);
  let psi = 0;
  for (let i = 0; i < bins; i++)
    psi += ((a[i] as number) - (e[i] as number)) * Math.log((a[i] as number) / (e[i] as number));
  return psi;
}
