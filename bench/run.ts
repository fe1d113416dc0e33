/**
 * Benchmark runner: `npm run bench [-- name-filter...]` (`-- --help` lists the benchmarks). Every `bench/*.bench.ts` module exports
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
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(['Usage: npm run bench [-- <filter>...]', '', 'Runs every benchmark whose name contains one of the filters (all without one):', ...all.map((b) => `  ${b.name}`)].join('\n'));
  process.exit(0);
}
const unknown = args.filter((a) => a.startsWith('-'));
if (unknown.length > 0) {
  console.error(`bench: unknown option ${unknown.join(' ')} (--help lists the benchmarks)`);
  process.exit(2);
}
const selected = args.length === 0 ? all : all.filter((b) => args.some((f) => b.name.includes(f)));
if (selected.length === 0) {
  console.error(`bench: no benchmark name contains ${args.map((a) => JSON.stringify(a)).join(' or ')} (--help lists them)`);
  process.exit(2);
}
console.log(`outrigger benchmarks — node ${process.version}, ${selected.length} of ${all.length} selected`);
for (const bench of selected) {
  try {
    printResult(bench.name, await bench.run());
  } catch (err) {
    // A bad setting (SIMULATOR_BENCH_10K_ROUNDS=abc) or a run that failed: one line, not a stack.
    console.error(`bench: ${bench.name}: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
