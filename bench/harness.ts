/** Minimal benchmark harness: a benchmark returns named figures; the runner prints them. */

/** One printed figure. */
export interface Figure {
  readonly label: string;
  readonly value: number;
  readonly unit: string;
}

/** A benchmark: a name and a function measuring something. */
export interface Benchmark {
  readonly name: string;
  run(): Promise<readonly Figure[]>;
}

/** Wall-clock milliseconds of `fn` (benchmarks are the one place that measures real time). */
export async function timeIt(fn: () => Promise<void> | void): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Prints a benchmark's figures as aligned lines. */
export function printResult(name: string, figures: readonly Figure[]): void {
  console.log(`\n${name}`);
  for (const f of figures) {
    const value = Number.isInteger(f.value) ? f.value.toString() : f.value.toFixed(1);
    console.log(`  ${f.label.padEnd(48)} ${value.padStart(12)} ${f.unit}`);
  }
}
