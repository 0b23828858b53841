/**
 * 2,000 records, 40 frauds, champion scores sigmoid(N(0, 1) + 2·fraud − 4) (seeded); the challenger is the champion
 * except that `missed` frauds get the median genuine score: a challenger that misses that many frauds.
 */
export function missedFrauds(missed: number): { champion: number[]; challenger: number[]; fraud: boolean[] } {
  let x = 5;
  const uniform = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const fraud = Array.from({ length: 2000 }, (_, i) => i % 50 === 0);
  const champion = fraud.map((f) => 1 / (1 + Math.exp(-(normal() + (f ? 2 : 0) - 4))));
  const genuine = champion.filter((_, i) => !fraud[i]).sort((a, b) => a - b);
  const median = genuine[genuine.length >> 1] as number;
  let count = 0;
  const challenger = champion.map((s, i) => (fraud[i] && count++ < missed ? median : s));
  return { champion, challenger, fraud };
}
