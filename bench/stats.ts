export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

export async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const result = await work();
  return [performance.now() - started, result];
}

export async function samples(runs: number, once: () => Promise<void>): Promise<number[]> {
  const measured: number[] = [];
  for (let run = 0; run < runs; run += 1) measured.push((await timed(once))[0]);
  return measured;
}

/** `total` calls of `once`, `concurrency` at a time; returns calls per second. */
export async function perSecond(total: number, concurrency: number, once: () => Promise<void>): Promise<number> {
  let remaining = total;
  const [ms] = await timed(() =>
    Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (remaining > 0) {
          remaining -= 1;
          await once();
        }
      }),
    ),
  );
  return (total / ms) * 1000;
}

export const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;
