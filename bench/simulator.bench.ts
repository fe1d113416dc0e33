/**
 * Simulator figures (issues 8 and 19): what `outrigger simulate --nodes N --services M` costs as
 * the cluster grows. What is measured is the command users run: the project is compiled
 * (`tsconfig.build.json`, into `.bench-out/simulator/`) and each size runs the compiled CLI in its
 * own process, with the V8 settings the CLI applies itself.
 *
 * - **scaling curve**: 1k, 2k, 5k and 10k Nodes × {1, N/5} Services (and 5k × 0, the reference
 *   for "one Service costs nothing"): main-thread CPU, wall time, peak RSS, API writes per Node and
 *   per Service, cloud calls per Node, Events written — each with its ratio to the previous size
 *   of the same series, next to the ratio of the sizes, so linearity shows.
 * - **10k + 10k**: wall time, main-thread CPU and peak RSS, as the CLI runs (it caps V8's heap
 *   growth) and with V8's defaults (`BENCH_V8_DEFAULTS=1` in the probe; target ≤ 250 MiB); the
 *   median and range of `SIMULATOR_BENCH_10K_ROUNDS` (default 3) interleaved rounds.
 *
 * Main-thread CPU is the CLI's main thread only (`/proc/self/task/<pid>/stat`, read by a preload
 * at exit; GC helper threads excluded), peak RSS the kernel's high-water mark (`VmHWM`). Linux only.
 *
 * Environment:
 * - `SIMULATOR_BENCH_SIZES=1000,2000` — other node counts for the curve;
 * - `SIMULATOR_BENCH_BASELINE=<git revision or source folder>` — also builds that revision
 *   (`git archive`, into `.bench-out/simulator-baseline/`) or folder and runs each size with it
 *   right before the current code, so the two are measured side by side on the same (noisy)
 *   machine; prints new/old ratios;
 * - `SIMULATOR_BENCH_CAP_S=120` — wall-time cap per run (a run cut there is reported as such).
 *
 * Targets, not assertions: 10k Nodes ≤ 2.2× the CPU of 5k; 5k + 1 ≤ 1.2× the CPU of 5k + 0.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Benchmark, Figure } from './harness.js';

interface CliReport {
  readonly passed: boolean;
  readonly wallMs: number;
  readonly apiWrites: number;
  readonly apiRequests: readonly { readonly verb: string; readonly resource: string; readonly count: number }[];
  readonly cloudCalls: { readonly total: number; readonly byMethod: Readonly<Record<string, number>> };
  readonly nodes: { readonly total: number; readonly initialised: number };
  readonly loadBalancers: { readonly services: number; readonly ensured: number };
}

interface Probe {
  readonly mainThreadCpuMs: number;
  readonly peakRssMib: number;
}

interface Run {
  readonly nodes: number;
  readonly services: number;
  /** Undefined when the run was cut at the cap or printed no report. */
  readonly report: CliReport | undefined;
  /** Without a report: why (the CLI's one-line error, or the cap). */
  readonly failure?: string | undefined;
  readonly mainThreadCpuMs: number;
  readonly wallMs: number;
  readonly peakRssMib: number;
}

const root = fileURLToPath(new URL('../', import.meta.url));
const outDir = join(root, '.bench-out/simulator/');
const baselineSrc = join(root, '.bench-out/simulator-baseline-src/');
const baselineOut = join(root, '.bench-out/simulator-baseline/');
const PROBE = join(root, '.bench-out/main-thread-cpu.mjs');
const CAP_MS = Number(process.env['SIMULATOR_BENCH_CAP_S'] ?? 120) * 1000;
const SIZES = (process.env['SIMULATOR_BENCH_SIZES'] ?? '1000,2000,5000,10000').split(',').map(Number);
const BASELINE = process.env['SIMULATOR_BENCH_BASELINE'];

/** Read at the CLI's exit: its main thread's CPU time and its peak RSS, written as JSON to $BENCH_PROBE_OUT. */
const PROBE_SOURCE = `import { readFileSync, writeFileSync } from 'node:fs';
import v8 from 'node:v8';
import { syncBuiltinESMExports } from 'node:module';
// BENCH_V8_DEFAULTS=1: the CLI's own V8 heap setting is ignored, to measure V8's defaults.
if (process.env.BENCH_V8_DEFAULTS === '1') {
  v8.setFlagsFromString = () => {};
  syncBuiltinESMExports();
}
process.on('exit', () => {
  const out = process.env.BENCH_PROBE_OUT;
  if (!out) return;
  try {
    const stat = readFileSync('/proc/self/task/' + process.pid + '/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime (fields 14 and 15) in clock ticks: 100 per second on Linux.
    const mainThreadCpuMs = (Number(fields[11]) + Number(fields[12])) * 10;
    const hwm = /VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
    writeFileSync(out, JSON.stringify({ mainThreadCpuMs, peakRssMib: Number(hwm ? hwm[1] : 0) / 1024 }));
  } catch {}
});
`;

const built = new Set<string>();

function tsc(project: string, cwd: string, out: string): void {
  const compiler = join(root, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [compiler, '-p', project, '--outDir', out], { cwd, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`bench/simulator: compiling ${cwd} failed (exit ${String(r.status)})`);
}

/** Compiles the working tree once per bench run, as `npm run build` would (into `.bench-out/`). */
function build(): string {
  if (!built.has(outDir)) {
    tsc('tsconfig.build.json', root, outDir);
    mkdirSync(join(root, '.bench-out'), { recursive: true });
    writeFileSync(PROBE, PROBE_SOURCE);
    built.add(outDir);
  }
  return join(outDir, 'cli/main.js');
}

/** Compiles `revision` from git (read-only: `git archive`) or a source folder, for side-by-side runs. */
function buildBaseline(revision: string): string {
  if (!built.has(baselineOut)) {
    let src = revision;
    if (!existsSync(join(revision, 'tsconfig.build.json'))) {
      src = baselineSrc;
      rmSync(baselineSrc, { recursive: true, force: true });
      mkdirSync(baselineSrc, { recursive: true });
      const tar = execFileSync('git', ['archive', '--format=tar', revision], { cwd: root, maxBuffer: 1 << 30 });
      execFileSync('tar', ['-x', '-C', baselineSrc], { input: tar });
    }
    if (!existsSync(join(src, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(src, 'node_modules'));
    tsc('tsconfig.build.json', src, baselineOut);
    built.add(baselineOut);
  }
  return join(baselineOut, 'cli/main.js');
}

/** Runs one compiled `outrigger simulate`; on the cap, kills it and reports what was seen so far. */
function runCli(cli: string, nodes: number, services: number, o: { v8Defaults?: boolean } = {}): Promise<Run> {
  const probeOut = join(tmpdir(), `outrigger-bench-${process.pid}-${nodes}-${services}-${Math.random().toString(36).slice(2)}.json`);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // Revisions before 085a9e1 trip Node's listener-count heuristic in the provider guard on every
    // run (as a baseline, say); that warning would drown the table.
    const proc = spawn(process.execPath, ['--disable-warning=MaxListenersExceededWarning', '--import', PROBE, cli, 'simulate', '--nodes', String(nodes), '--services', String(services), '--output', 'json'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_PROBE_OUT: probeOut, BENCH_V8_DEFAULTS: o.v8Defaults === true ? '1' : '' },
    });
    let out = '';
    let sampledKb = 0;
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    // Sampled too, for a run cut at the cap (whose exit handler never runs).
    const sampler = setInterval(() => {
      readFile(`/proc/${proc.pid}/status`, 'utf8')
        .then((status) => (sampledKb = Math.max(sampledKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0))))
        .catch(() => {});
    }, 100);
    const timer = setTimeout(() => proc.kill('SIGKILL'), CAP_MS);
    proc.on('error', reject);
    proc.on('exit', () => {
      const wallMs = performance.now() - started;
      clearTimeout(timer);
      clearInterval(sampler);
      let probe: Probe | undefined;
      try {
        probe = JSON.parse(readFileSync(probeOut, 'utf8')) as Probe;
        rmSync(probeOut, { force: true });
      } catch {
        probe = undefined;
      }
      let report: CliReport | undefined;
      let failure: string | undefined;
      try {
        report = JSON.parse(out) as CliReport;
      } catch {
        report = undefined;
        failure = wallMs >= CAP_MS ? `cut at the ${CAP_MS / 1000} s cap` : (out.split('\n')[0] ?? '').trim() || 'no report';
      }
      const peakRssMib = probe?.peakRssMib ?? sampledKb / 1024;
      resolve({ nodes, services, report, wallMs, mainThreadCpuMs: probe?.mainThreadCpuMs ?? NaN, peakRssMib, ...(failure === undefined ? {} : { failure }) });
    });
  });
}

function converged(r: CliReport | undefined): boolean {
  return r !== undefined && r.passed && r.nodes.initialised === r.nodes.total && r.loadBalancers.ensured === r.loadBalancers.services;
}

function requests(r: CliReport, match: (verb: string, resource: string) => boolean): number {
  return r.apiRequests.filter((c) => match(c.verb, c.resource)).reduce((n, c) => n + c.count, 0);
}

const WRITES = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** The figures of one run that the curve prints. */
function figuresOf(run: Run): Record<string, number> {
  const r = run.report;
  const nan = Number.NaN;
  return {
    cpu: run.mainThreadCpuMs / 1000,
    wall: run.wallMs / 1000,
    rss: run.peakRssMib,
    writesPerNode: r === undefined ? nan : requests(r, (v, res) => WRITES.has(v) && res.startsWith('nodes')) / run.nodes,
    writesPerService: r === undefined || run.services === 0 ? nan : requests(r, (v, res) => WRITES.has(v) && res.startsWith('services')) / run.services,
    cloudPerNode: r === undefined ? nan : r.cloudCalls.total / run.nodes,
    updates: r === undefined ? nan : r.cloudCalls.byMethod['updateLoadBalancer'] ?? 0,
    events: r === undefined ? nan : requests(r, (v, res) => WRITES.has(v) && res === 'events'),
  };
}

function fmt(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return '–';
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

function ratio(a: number, b: number | undefined): string {
  if (b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '';
  return `×${(a / b).toFixed(2)}`;
}

const COLUMNS: readonly (readonly [key: string, title: string])[] = [
  ['cpu', 'main CPU s'],
  ['wall', 'wall s'],
  ['rss', 'peak MiB'],
  ['writesPerNode', 'writes/node'],
  ['writesPerService', 'writes/svc'],
  ['cloudPerNode', 'cloud/node'],
  ['updates', 'UpdateLB'],
  ['events', 'Events written'],
];

function printRow(label: string, f: Record<string, number>, prev: Record<string, number> | undefined): void {
  const cells = COLUMNS.map(([key]) => {
    const v = f[key] ?? Number.NaN;
    const showRatio = key === 'cpu' || key === 'wall' || key === 'rss' || key === 'events';
    return `${fmt(v, key === 'rss' ? 0 : 2)} ${showRatio ? ratio(v, prev?.[key]) : ''}`.trim().padStart(16);
  });
  console.log(`  ${label.padEnd(26)}${cells.join('')}`);
}

const curve: Benchmark = {
  name: 'simulator: scaling curve, 1k–10k Nodes × {1, N/5} Services (compiled CLI, own process per run)',
  async run(): Promise<Figure[]> {
    const cli = build();
    const baseline = BASELINE === undefined ? undefined : buildBaseline(BASELINE);
    const series: readonly { readonly name: string; readonly services: (n: number) => number }[] = [
      { name: '1 Service', services: () => 1 },
      { name: 'N/5 Services', services: (n) => Math.round(n / 5) },
    ];
    const runs = new Map<string, { now: Run; old?: Run }>();
    const measure = async (n: number, s: number): Promise<{ now: Run; old?: Run }> => {
      // The baseline first, then the current code: side by side on the same machine state.
      const old = baseline === undefined ? undefined : await runCli(baseline, n, s);
      const now = await runCli(cli, n, s);
      const pair = old === undefined ? { now } : { now, old };
      runs.set(`${n}/${s}`, pair);
      return pair;
    };
    console.log(`\n  each ×ratio is to the previous size of the same series; sizes grow ${SIZES.map((n, i) => (i === 0 ? '' : `×${(n / (SIZES[i - 1] ?? n)).toFixed(1)}`)).filter(Boolean).join(', ')}`);
    if (baseline !== undefined) console.log(`  baseline: ${BASELINE ?? ''} (each size run with it first; "old" rows)`);
    console.log(`  ${'nodes × services'.padEnd(26)}${COLUMNS.map(([, t]) => t.padStart(16)).join('')}`);
    for (const { name, services } of series) {
      console.log(`  — ${name}`);
      let prev: Record<string, number> | undefined;
      let prevOld: Record<string, number> | undefined;
      for (const n of SIZES) {
        const s = services(n);
        const pair = await measure(n, s);
        const f = figuresOf(pair.now);
        const label = `${n} × ${s}${converged(pair.now.report) ? '' : ' (NOT converged)'}`;
        if (pair.now.failure !== undefined) console.log(`  ${n} × ${s}: ${pair.now.failure}`);
        if (pair.old !== undefined) {
          const o = figuresOf(pair.old);
          printRow(`${label} old`, o, prevOld);
          prevOld = o;
          printRow(`${label} new`, f, prev);
          console.log(`  ${'  new/old'.padEnd(26)}${COLUMNS.map(([key]) => ratio(f[key] ?? Number.NaN, o[key]).padStart(16)).join('')}`);
        } else {
          printRow(label, f, prev);
        }
        prev = f;
      }
    }
    // The reference for "a Service costs nothing": the mid size without Services.
    const mid = SIZES.includes(5000) ? 5000 : (SIZES[Math.floor(SIZES.length / 2)] ?? 1000);
    const zero = await measure(mid, 0);
    console.log(`  — reference`);
    if (zero.old !== undefined) printRow(`${mid} × 0 old`, figuresOf(zero.old), undefined);
    printRow(`${mid} × 0${zero.old === undefined ? '' : ' new'}`, figuresOf(zero.now), undefined);

    const cpu = (n: number, s: number): number => runs.get(`${n}/${s}`)?.now.mainThreadCpuMs ?? Number.NaN;
    const last = SIZES.at(-1) ?? mid;
    const before = SIZES.at(-2) ?? mid;
    const figures: Figure[] = [
      { label: `CPU ${last}×1 / ${before}×1 (target ≤ ${(1.1 * (last / before)).toFixed(1)}: 1.1 × the size ratio)`, value: cpu(last, 1) / cpu(before, 1), unit: '×' },
      { label: `CPU ${last}×${last / 5} / ${before}×${before / 5}`, value: cpu(last, last / 5) / cpu(before, before / 5), unit: '×' },
      { label: `CPU ${mid}×1 / ${mid}×0 (target ≤ 1.2)`, value: cpu(mid, 1) / cpu(mid, 0), unit: '×' },
      { label: 'runs converged', value: [...runs.values()].filter((p) => converged(p.now.report)).length, unit: `of ${runs.size}` },
    ];
    if (baseline !== undefined) {
      for (const [key, pair] of runs) {
        if (pair.old === undefined) continue;
        figures.push({ label: `${key.replace('/', ' × ')}: main CPU new/old`, value: pair.now.mainThreadCpuMs / pair.old.mainThreadCpuMs, unit: '×' });
      }
    }
    return figures;
  },
};

/** Rounds of the 10k + 10k runs: one full collection more or less moves a single run's peak by ~40 MiB. */
const TEN_BY_TEN_ROUNDS = Number(process.env['SIMULATOR_BENCH_10K_ROUNDS'] ?? 3);

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
}

/** The median of a figure over the rounds, with its (min–max) range. */
function overRounds(label: string, runs: readonly Run[], pick: (r: Run) => number, unit: string): Figure {
  const values = runs.map(pick);
  return { label, value: median(values), unit, ...(values.length > 1 ? { range: [Math.min(...values), Math.max(...values)] as [number, number] } : {}) };
}

const tenByTen: Benchmark = {
  name: "simulator: --nodes 10000 --services 10000 (compiled CLI, own process), interleaved rounds, median (min–max)",
  async run(): Promise<Figure[]> {
    if (!(Number.isInteger(TEN_BY_TEN_ROUNDS) && TEN_BY_TEN_ROUNDS >= 1 && TEN_BY_TEN_ROUNDS <= 20)) {
      throw new Error(`SIMULATOR_BENCH_10K_ROUNDS must be an integer from 1 to 20, got ${JSON.stringify(process.env['SIMULATOR_BENCH_10K_ROUNDS'])}`);
    }
    const cli = build();
    const baseline = BASELINE === undefined ? undefined : buildBaseline(BASELINE);
    const olds: Run[] = [];
    const runs: Run[] = [];
    // The same runs with V8's own heap growth (the CLI caps it; docs/simulator.md, "Memory").
    const plains: Run[] = [];
    for (let round = 0; round < TEN_BY_TEN_ROUNDS; round++) {
      if (baseline !== undefined) olds.push(await runCli(baseline, 10_000, 10_000));
      runs.push(await runCli(cli, 10_000, 10_000));
      plains.push(await runCli(cli, 10_000, 10_000, { v8Defaults: true }));
    }
    for (const r of [...runs, ...plains]) if (r.failure !== undefined) console.log(`  did not run to the end: ${r.failure}`);
    const first = runs[0] as Run;
    const figures: Figure[] = [
      { label: 'converged, every round (1 = every node initialised, every LB ensured)', value: runs.every((r) => converged(r.report)) && plains.every((r) => converged(r.report)) ? 1 : 0, unit: '' },
      overRounds('wall time', runs, (r) => r.wallMs, 'ms'),
      overRounds('main-thread CPU', runs, (r) => r.mainThreadCpuMs, 'ms'),
      overRounds('peak RSS, as the CLI runs', runs, (r) => r.peakRssMib, 'MiB'),
      overRounds('peak RSS with V8 defaults (target ≤ 250)', plains, (r) => r.peakRssMib, 'MiB'),
      overRounds('wall time with V8 defaults', plains, (r) => r.wallMs, 'ms'),
      overRounds('main-thread CPU with V8 defaults', plains, (r) => r.mainThreadCpuMs, 'ms'),
      { label: 'Events written', value: first.report === undefined ? Number.NaN : requests(first.report, (v, res) => WRITES.has(v) && res === 'events'), unit: '' },
    ];
    if (olds.length > 0) {
      const cpu = (xs: readonly Run[]): number => median(xs.map((r) => r.mainThreadCpuMs));
      const rss = (xs: readonly Run[]): number => median(xs.map((r) => r.peakRssMib));
      figures.push(
        overRounds('baseline: wall time', olds, (r) => r.wallMs, 'ms'),
        overRounds('baseline: main-thread CPU', olds, (r) => r.mainThreadCpuMs, 'ms'),
        overRounds('baseline: peak RSS', olds, (r) => r.peakRssMib, 'MiB'),
        { label: 'main CPU new/old (medians)', value: cpu(runs) / cpu(olds), unit: '×' },
        { label: 'peak RSS new/old (medians)', value: rss(runs) / rss(olds), unit: '×' },
      );
    }
    return figures;
  },
};

export const benchmarks: readonly Benchmark[] = [curve, tenByTen];
