/** Nearest-rank percentile of an unsorted sample (copied and sorted here). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function formatMs(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms.toFixed(1);
}

export function formatMiB(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}

/** Peak resident set size of this process so far, in bytes (getrusage maxrss). */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * Runs `task(i)` for i in [0, total) with at most `concurrency` in flight and returns each call's
 * latency in ms plus the wall time.
 */
export async function runConcurrently(
  total: number,
  concurrency: number,
  task: (index: number) => Promise<unknown>,
): Promise<{ latenciesMs: number[]; wallMs: number }> {
  const latenciesMs: number[] = new Array(total);
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    for (;;) {
      const index = next++;
      if (index >= total) return;
      const t0 = performance.now();
      await task(index);
      latenciesMs[index] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
  return { latenciesMs, wallMs: performance.now() - started };
}

/** A `label ....... value` line of a benchmark report. */
export function line(label: string, value: string): void {
  console.log(`${label.padEnd(44)} ${value}`);
}
