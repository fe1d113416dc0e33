/**
 * Benchmark runner: `npm run bench [-- name-filter]`. Every `bench/*.bench.ts` module exports
 * `benchmarks: readonly Benchmark[]`; each prints figures and none passes or fails on speed (timing
 * on a shared 2-core machine is noise-prone, so speed is reported, not asserted).
 */
import { readdirSync } from 'node:fs';
import type { Benchmark } from './harness.js';
import { printResult } from './harness.js';

const dir = new URL('./', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
const all: Benchmark[] = [];
for (const file of files) {
  const mod = (await import(new URL(file, dir).href)) as { benchmarks?: readonly Benchmark[] };
  if (mod.benchmarks === undefined) throw new Error(`bench/${file} must export "benchmarks"`);
  all.push(...mod.benchmarks);
}
const filter = process.argv[2];
const selected = filter === undefined ? all : all.filter((b) => b.name.includes(filter));
console.log(`outrigger benchmarks — node ${process.version}, ${selected.length} of ${all.length} selected`);
for (const bench of selected) {
  const result = await bench.run();
  printResult(bench.name, result);
}
