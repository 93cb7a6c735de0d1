/**
 * Small statistics for the benchmark. Every figure the report states as a budget is a ratio of two
 * samples taken in the same run, interleaved, so a busy machine slows both sides alike.
 */

/**
 * The nearest-rank percentile (`p` in 0..100) of `values`: the smallest sample with at least p % of
 * the samples at or below it. No interpolation, so the answer is always a measured value.
 */
export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) throw new Error('percentile of no samples');
  if (p < 0 || p > 100) throw new Error(`percentile ${p} is outside 0..100`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
};

/** The median as the 50th nearest-rank percentile (the lower middle of an even count). */
export const median = (values: readonly number[]): number => percentile(values, 50);

/** `subject / baseline`; NaN when the baseline is not positive, so a broken run cannot pass a budget. */
export const ratio = (subject: number, baseline: number): number =>
  baseline > 0 ? subject / baseline : Number.NaN;

/** p50 and p99 of a sample set, with its size. */
export interface Summary {
  n: number;
  p50: number;
  p99: number;
}

export const summarize = (values: readonly number[]): Summary => ({
  n: values.length,
  p50: percentile(values, 50),
  p99: percentile(values, 99),
});

/**
 * Runs `subject` and `baseline` alternately, `rounds` times, swapping which goes first each round
 * so neither always runs right after the other's garbage or on a cooled cache.
 */
export const interleave = async <A, B>(
  rounds: number,
  subject: (round: number) => Promise<A>,
  baseline: (round: number) => Promise<B>,
): Promise<{ subject: A[]; baseline: B[] }> => {
  const out = { subject: [] as A[], baseline: [] as B[] };
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      out.subject.push(await subject(round));
      out.baseline.push(await baseline(round));
    } else {
      out.baseline.push(await baseline(round));
      out.subject.push(await subject(round));
    }
  }
  return out;
};
