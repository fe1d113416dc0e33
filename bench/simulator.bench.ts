/**
 * Simulator figures (issue 8): `outrigger simulate --nodes 5000 --services 1000` — wall time to
 * converge, API writes and cloud calls per node, peak RSS; and `--nodes 10000 --services 10000`
 * — wall time and peak RSS. What is measured is the command users run: the project is compiled
 * (`tsconfig.build.json`, into `.bench-out/simulator/`) and each size runs the compiled CLI in its
 * own process, with the V8 settings the CLI applies itself; peak RSS is the kernel's high-water
 * mark of that process (`VmHWM`, read every 50 ms). The 10k + 10k run is capped at 60 s of wall
 * time (the figure says whether it converged).
 * Targets, not assertions: 5,000 nodes converge in ≤ 3 s on 2 cores; ≤ 300 MiB RSS at 10k + 10k.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Benchmark, Figure } from './harness.js';

interface CliReport {
  readonly passed: boolean;
  readonly wallMs: number;
  readonly apiWrites: number;
  readonly cloudCalls: { readonly total: number };
  readonly nodes: { readonly total: number; readonly initialised: number };
  readonly loadBalancers: { readonly services: number; readonly ensured: number };
}

type RunResult = { readonly report: CliReport; readonly peakRssMib: number } | { readonly timedOut: true; readonly peakRssMib: number };

const root = fileURLToPath(new URL('../', import.meta.url));
const outDir = fileURLToPath(new URL('../.bench-out/simulator/', import.meta.url));
let built = false;

/** Compiles the project once per bench run, as `npm run build` would (into `.bench-out/`). */
function build(): void {
  if (built) return;
  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`bench/simulator: compiling the project failed (exit ${String(r.status)})`);
  built = true;
}

/** Runs the compiled `outrigger simulate`; on the time cap, kills it and reports the peak so far. */
function runCli(nodes: number, services: number, capMs: number): Promise<RunResult> {
  build();
  return new Promise((resolve, reject) => {
    const cli = `${outDir}cli/main.js`;
    const proc = spawn(process.execPath, [cli, 'simulate', '--nodes', String(nodes), '--services', String(services), '--output', 'json'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let peakKb = 0;
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const sampler = setInterval(() => {
      readFile(`/proc/${proc.pid}/status`, 'utf8')
        .then((status) => {
          peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
        })
        .catch(() => {});
    }, 50);
    const timer = setTimeout(() => proc.kill('SIGKILL'), capMs);
    proc.on('error', reject);
    proc.on('exit', () => {
      clearTimeout(timer);
      clearInterval(sampler);
      const peakRssMib = peakKb / 1024;
      try {
        resolve({ report: JSON.parse(out) as CliReport, peakRssMib });
      } catch {
        resolve({ timedOut: true, peakRssMib });
      }
    });
  });
}

function converged(r: CliReport): boolean {
  return r.passed && r.nodes.initialised === r.nodes.total && r.loadBalancers.ensured === r.loadBalancers.services;
}

export const benchmarks: readonly Benchmark[] = [
  {
    name: 'simulator: outrigger simulate --nodes 5000 --services 1000 (compiled CLI, own process)',
    async run(): Promise<Figure[]> {
      const r = await runCli(5_000, 1_000, 90_000);
      if ('timedOut' in r) return [{ label: 'did not converge within 90 s; peak RSS', value: r.peakRssMib, unit: 'MiB' }];
      return [
        { label: 'converged (1 = every node initialised, every LB ensured)', value: converged(r.report) ? 1 : 0, unit: '' },
        { label: 'wall time to converge', value: r.report.wallMs, unit: 'ms' },
        { label: 'API writes per node (Leases, Events excluded)', value: r.report.apiWrites / r.report.nodes.total, unit: 'writes' },
        { label: 'cloud calls per node', value: r.report.cloudCalls.total / r.report.nodes.total, unit: 'calls' },
        { label: 'peak RSS', value: r.peakRssMib, unit: 'MiB' },
      ];
    },
  },
  {
    name: 'simulator: --nodes 10000 --services 10000 (compiled CLI, own process, 60 s cap)',
    async run(): Promise<Figure[]> {
      const r = await runCli(10_000, 10_000, 60_000);
      if ('timedOut' in r) return [{ label: 'peak RSS (run cut at 60 s, not converged)', value: r.peakRssMib, unit: 'MiB' }];
      return [
        { label: 'converged', value: converged(r.report) ? 1 : 0, unit: '' },
        { label: 'wall time', value: r.report.wallMs, unit: 'ms' },
        { label: 'peak RSS', value: r.peakRssMib, unit: 'MiB' },
      ];
    },
  },
];
