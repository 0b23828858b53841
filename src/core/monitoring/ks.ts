/**
 * Two-sample Kolmogorov-Smirnov test, two-sided, as scipy.stats.ks_2samp(a, b, method="asymp") computes it
 * (scipy 1.17): the statistic D = max |F_a - F_b| over the pooled values with right-continuous empirical CDFs (ties
 * handled as scipy's searchsorted side="right"), and the p-value kstwo.sf(D, round(n_a n_b / (n_a + n_b))) -- the
 * one-sample two-sided Kolmogorov distribution at the effective size, evaluated by Simard and L'Ecuyer's choice of
 * algorithms (scipy.stats._ksstats). The golden values in test/fixtures/drift pin this to 1e-9.
 *
 * Only effective sizes above 140 are implemented (scipy uses other algorithms below): the drift window's minimum size
 * keeps every real test above it, and smaller ones get NaN ("insufficient data"), never a wrong number.
 */

/** D over two ascending arrays. */
export function ksStatistic(sortedA: ArrayLike<number>, sortedB: ArrayLike<number>): number {
  const na = sortedA.length;
  const nb = sortedB.length;
  if (na === 0 || nb === 0) return Number.NaN;
  let i = 0;
  let j = 0;
  let d = 0;
  // At every pooled value v: F_a(v) = #a <= v / na, F_b(v) = #b <= v / nb. Walking both arrays, step past all copies
  // of the next smallest value, then compare (the same divisions scipy makes, so D comes out bit-identical).
  while (i < na || j < nb) {
    const next = Math.min(i < na ? (sortedA[i] as number) : Infinity, j < nb ? (sortedB[j] as number) : Infinity);
    while (i < na && (sortedA[i] as number) <= next) i++;
    while (j < nb && (sortedB[j] as number) <= next) j++;
    const diff = Math.abs(i / na - j / nb);
    if (diff > d) d = diff;
  }
  return d;
}

/** The smallest effective size this module computes a p-value for. */
export const KS_MIN_EFFECTIVE_SIZE = 141;

/** Effective size of a two-sample test, as scipy rounds it (numpy rounds half to even). */
export function ksEffectiveSize(na: number, nb: number): number {
  const [m, n] = na >= nb ? [na, nb] : [nb, na];
  const en = (m * n) / (m + n);
  const floor = Math.floor(en);
  const fraction = en - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Two-sided p-value of D for samples of sizes na and nb. */
export function ksPValue(d: number, na: number, nb: number): number {
  return kolmogorovSf(ksEffectiveSize(na, nb), d);
}

const clip = (p: number) => Math.min(1, Math.max(0, p));

/** Pr(D_n >= x), the survival function of the two-sided one-sample Kolmogorov statistic; n > 140. */
export function kolmogorovSf(n: number, x: number): number {
  if (!Number.isInteger(n) || n < KS_MIN_EFFECTIVE_SIZE || Number.isNaN(x)) return Number.NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    // Ruben-Gambino: exact for 1/2n <= x <= 1/n.
    return clip(1 - Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1)));
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n);
  if (x >= 0.5) return clip(2 * smirnov(n, x));
  const nxSquared = t * x;
  if (nxSquared >= 370) return 0;
  if (nxSquared >= 2.2) return clip(2 * smirnov(n, x));
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinMatrixCdf(n, x) : pelzGoodCdf(n, x);
  return clip(1 - cdf);
}

// Bernoulli-number coefficients of Stirling's series, B_2j / (2j (2j - 1)) for j = 8..1 (scipy's _STIRLING_COEFFS, as doubles).
const STIRLING = [
  -0.029550653594771242, 0.00641025641025641, -0.0019175269175269176, 0.0008417508417508417, -0.0005952380952380953,
  0.0007936507936507937, -0.002777777777777778, 0.08333333333333333,
];

/** log(n! / n^n) by Stirling's series with n log n taken out first (no cancellation). */
function logFactorialOverPower(n: number): number {
  const rn = 1 / n;
  const z = rn / n;
  let poly = 0;
  for (const c of STIRLING) poly = poly * z + c;
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + rn * poly;
}

/**
 * Pr(D_n^+ >= e), the one-sided one-sample statistic, by the exact Birnbaum-Tingey sum
 * e * sum_{j=0}^{floor(n(1-e))} C(n, j) (e + j/n)^(j-1) (1 - e - j/n)^(n-j), each term in log space (scipy's
 * scipy.special.smirnov agrees to about 1e-14 at the sizes used here).
 */
export function smirnov(n: number, e: number): number {
  if (e <= 0) return 1;
  if (e >= 1) return 0;
  const last = Math.floor(n * (1 - e));
  let logBinomial = 0;
  let sum = 0;
  for (let j = 0; j <= last; j++) {
    if (j > 0) logBinomial += Math.log(n - j + 1) - Math.log(j);
    const a = e + j / n;
    const b = 1 - e - j / n;
    if (b <= 0) continue;
    sum += Math.exp(logBinomial + (j - 1) * Math.log(a) + (n - j) * Math.log(b));
  }
  return e * sum;
}

const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
const SQRT2PI = Math.sqrt(2 * Math.PI);
const SQRT3 = Math.sqrt(3);

/** Pelz-Good asymptotic series for Pr(D_n <= x) (scipy's _kolmogn_PelzGood). */
function pelzGoodCdf(n: number, x: number): number {
  const z = Math.sqrt(n) * x;
  const z2 = z ** 2;
  const z3 = z ** 3;
  const z4 = z ** 4;
  const z6 = z ** 6;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) return 0;
  const q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const sums = [0, 0, 0, 0];
  const maxK = Math.ceil((16 * z) / Math.PI);
  // Horner over the odd integers m = 2k - 1 of sum c_m q^(m^2).
  for (let k = maxK; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m ** 2;
    const m4 = m ** 4;
    const m6 = m ** 6;
    const qPower = q ** (8 * k);
    const coefficients = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) sums[i] = (sums[i] as number) * qPower + (coefficients[i] as number);
  }
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) sums[i] = ((((sums[i] as number) * q) as number) * SQRT2PI) / (divisors[i] as number);
  // The terms over all integers k of K_2 and K_3.
  const q2 = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = SQRT3 * z;
  for (let k = maxK; k > 0; k--) {
    const k2 = k ** 2;
    const power = q2 ** k2;
    k2extra += k2 * power;
    const kPi = Math.PI * k;
    k3extra += (sqrt3z + kPi) * (sqrt3z - kPi) * k2 * power;
  }
  sums[2] = (sums[2] as number) + (k2extra * PI2 * SQRT2PI) / (-36 * z3);
  sums[3] = (sums[3] as number) + (k3extra * PI2 * SQRT2PI) / (216 * z6);
  let total = 0;
  for (let i = 0; i < 4; i++) total += (sums[i] as number) / n ** (i / 2);
  return total;
}

const SCALE_EXPONENT = 128;
const SCALE_UP = 2 ** SCALE_EXPONENT;
const SCALE_DOWN = 2 ** -SCALE_EXPONENT;

/** Durbin's matrix method, Marsaglia-Tsang-Wang form: Pr(D_n <= d) exactly, for small n d (scipy's _kolmogn_DMTW). */
function durbinMatrixCdf(n: number, d: number): number {
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let factorial = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = factorial;
    factorial /= j;
    v[j - 1] = (1 - h ** j) * factorial;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * factorial;
  let matrix: Float64Array = new Float64Array(m * m);
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) matrix[r * m + i] = w[r - i + 1] as number;
  for (let r = 0; r < m; r++) matrix[r * m] = v[r] as number;
  for (let c = 0; c < m; c++) matrix[(m - 1) * m + c] = v[m - 1 - c] as number;

  let power: Float64Array = new Float64Array(m * m);
  for (let i = 0; i < m; i++) power[i * m + i] = 1;
  let exponent = 0;
  let matrixExponent = 0;
  for (let remaining = n; remaining > 0; remaining = Math.floor(remaining / 2)) {
    if (remaining % 2 === 1) {
      power = multiply(power, matrix, m);
      exponent += matrixExponent;
    }
    matrix = multiply(matrix, matrix, m);
    matrixExponent *= 2;
    if (Math.abs(matrix[(k - 1) * m + (k - 1)] as number) > SCALE_UP) {
      for (let i = 0; i < matrix.length; i++) matrix[i] = (matrix[i] as number) / SCALE_UP;
      matrixExponent += SCALE_EXPONENT;
    }
  }
  let p = power[(k - 1) * m + (k - 1)] as number;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < SCALE_DOWN) {
      p *= SCALE_UP;
      exponent -= SCALE_EXPONENT;
    }
  }
  return clip(ldexp(p, exponent));
}

/** p * 2^exponent without overflowing the power on the way (numpy's ldexp). */
function ldexp(p: number, exponent: number): number {
  let result = p;
  let left = exponent;
  while (left > 1000) {
    result *= 2 ** 1000;
    left -= 1000;
  }
  while (left < -1000) {
    result *= 2 ** -1000;
    left += 1000;
  }
  return result * 2 ** left;
}

function multiply(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let l = 0; l < m; l++) {
      const ail = a[i * m + l] as number;
      if (ail === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] = (out[i * m + j] as number) + ail * (b[l * m + j] as number);
    }
  }
  return out;
}
