/** Minimal benchmark harness: a benchmark returns named figures; the runner prints them. */

/** One printed figure. */
export interface Figure {
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  /** Lowest and highest value over repeated runs, when the figure is a median of several. */
  readonly range?: readonly [number, number];
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
    const range = f.range === undefined ? '' : `  (${format(f.range[0])}–${format(f.range[1])})`;
    console.log(`  ${f.label.padEnd(48)} ${format(f.value).padStart(12)} ${f.unit}${range}`);
  }
}

function format(value: number): string {
  if (Number.isInteger(value)) return value.toString();
  return Math.abs(value) < 10 ? value.toFixed(2) : value.toFixed(1);
}
