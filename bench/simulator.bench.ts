/**
 * Simulator figures (issue 8): `outrigger simulate --nodes 5000 --services 1000` — wall time to
 * converge, API writes and cloud calls per node, peak RSS; and `--nodes 10000 --services 10000`
 * — peak RSS. Each size runs in its own child process so RSS is that run's alone, sampled every
 * 50 ms. The 10k + 10k run is capped at 60 s of wall time (the figure says whether it converged).
 * Targets, not assertions: 5,000 nodes initialised in ≤ 3 s on 2 cores; ≤ 300 MB RSS at 10k + 10k.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Benchmark, Figure } from './harness.js';

interface ChildResult {
  readonly converged: boolean;
  readonly wallMs: number;
  readonly nodes: number;
  readonly apiWrites: number;
  readonly cloudCalls: number;
  readonly peakRssMb: number;
}

const CHILD_FLAG = '--simulator-bench-child';

/** In the child: run the generated cluster, sampling RSS, and print one JSON line. */
async function child(nodes: number, services: number): Promise<void> {
  const { generateCluster } = await import('../src/simulation/generators/index.js');
  const { runScenario } = await import('../src/simulation/runner/index.js');
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const report = await runScenario(generateCluster({ nodes, services }), { detail: false });
  peak = Math.max(peak, process.memoryUsage().rss);
  clearInterval(sampler);
  const result: ChildResult = {
    converged: report.passed && report.nodes.initialised === nodes && report.loadBalancers.ensured === services,
    wallMs: report.wallMs,
    nodes,
    apiWrites: report.apiWrites,
    cloudCalls: report.cloudCalls.total,
    peakRssMb: peak / 2 ** 20,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Runs a child; on the time cap, kills it and reports the peak RSS it printed so far (none: NaN). */
function runChild(nodes: number, services: number, capMs: number): Promise<ChildResult | { timedOut: true; peakRssMb: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), CHILD_FLAG, String(nodes), String(services)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let peak = 0;
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    // The parent samples the child's RSS too, so a run cut short still yields a figure.
    const sampler = setInterval(() => {
      void import('node:fs/promises')
        .then((fs) => fs.readFile(`/proc/${proc.pid}/status`, 'utf8'))
        .then((status) => {
          const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
          peak = Math.max(peak, kb / 1024);
        })
        .catch(() => {});
    }, 100);
    const timer = setTimeout(() => proc.kill('SIGKILL'), capMs);
    proc.on('error', reject);
    proc.on('exit', () => {
      clearTimeout(timer);
      clearInterval(sampler);
      const line = out.trim().split('\n').pop() ?? '';
      if (line.startsWith('{')) {
        const r = JSON.parse(line) as ChildResult;
        resolve({ ...r, peakRssMb: Math.max(r.peakRssMb, peak) });
      } else resolve({ timedOut: true, peakRssMb: peak });
    });
  });
}

if (process.argv[2] === CHILD_FLAG) {
  await child(Number(process.argv[3]), Number(process.argv[4]));
  process.exit(0);
}

export const benchmarks: readonly Benchmark[] = [
  {
    name: 'simulator: outrigger simulate --nodes 5000 --services 1000 (child process)',
    async run(): Promise<Figure[]> {
      const r = await runChild(5_000, 1_000, 90_000);
      if ('timedOut' in r) return [{ label: 'did not converge within 90 s; peak RSS', value: r.peakRssMb, unit: 'MB' }];
      return [
        { label: 'converged (1 = every node initialised, every LB ensured)', value: r.converged ? 1 : 0, unit: '' },
        { label: 'wall time to converge', value: r.wallMs, unit: 'ms' },
        { label: 'API writes per node (Leases, Events excluded)', value: r.apiWrites / r.nodes, unit: 'writes' },
        { label: 'cloud calls per node', value: r.cloudCalls / r.nodes, unit: 'calls' },
        { label: 'peak RSS', value: r.peakRssMb, unit: 'MB' },
      ];
    },
  },
  {
    name: 'simulator: --nodes 10000 --services 10000 peak RSS (child process, 60 s cap)',
    async run(): Promise<Figure[]> {
      const r = await runChild(10_000, 10_000, 60_000);
      if ('timedOut' in r) return [{ label: 'peak RSS (run cut at 60 s, not converged)', value: r.peakRssMb, unit: 'MB' }];
      return [
        { label: 'converged', value: r.converged ? 1 : 0, unit: '' },
        { label: 'wall time', value: r.wallMs, unit: 'ms' },
        { label: 'peak RSS', value: r.peakRssMb, unit: 'MB' },
      ];
    },
  },
];
