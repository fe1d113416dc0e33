/**
 * The `--output text` summary of a simulation report: a small table of what converged, the
 * traffic it cost, and each failed expectation with its mismatches.
 *
 * @module
 */
import type { SimulationReport } from './report.js';

function seconds(ms: number): string {
  return ms >= 60_000 ? `${(ms / 60_000).toFixed(1)}m` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}

/** Renders a report as a human summary (lines end with `\n`). */
export function formatReport(r: SimulationReport): string {
  const rows: [string, string][] = [
    ['scenario', `${r.name} (seed ${r.seed})`],
    ['result', r.passed ? 'PASS' : 'FAIL'],
    ['nodes initialised', `${r.nodes.initialised}/${r.nodes.total}`],
    ['load balancers ensured', `${r.loadBalancers.ensured}/${r.loadBalancers.services}`],
    ['expectations', `${r.expectations.filter((e) => e.ok).length}/${r.expectations.length} passed`],
    ['API writes', String(r.apiWrites)],
    ['API requests', String(r.apiRequests.reduce((n, c) => n + c.count, 0))],
    ['cloud calls', `${r.cloudCalls.total}${r.cloudCalls.total === 0 ? '' : ` (${Object.entries(r.cloudCalls.byMethod).sort(([, a], [, b]) => b - a).map(([m, n]) => `${m} ${n}`).join(', ')})`}`],
    ['virtual time', seconds(r.virtualMs)],
    ['wall time', seconds(r.wallMs)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const out = rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}\n`);
  for (const s of r.settles) if (!s.settled) out.push(`  ✗ steps[${s.step}] settle: still busy after ${seconds(s.virtualMs)}\n`);
  for (const e of r.expectations) {
    if (e.ok) continue;
    out.push(`  ✗ steps[${e.step}].expect[${e.index}] ${e.description}\n`);
    for (const m of e.mismatches) out.push(`      ${m}\n`);
  }
  const several = r.replicas.length > 1;
  if (several) {
    for (const p of r.replicas) {
      const led = p.led.length === 0 ? 'never led' : `led ${p.led.map((t) => `${seconds(t.from)}–${t.to === undefined ? 'end' : seconds(t.to)}`).join(', ')}`;
      const state = p.state === 'killed' ? `killed at ${seconds(p.killedAt ?? 0)}` : p.state === 'paused' ? `paused since ${seconds(p.pausedAt ?? 0)}` : p.state;
      out.push(`  replica ${p.index} ${p.identity}: ${state}, ${led}, ${p.writes} writes, ${p.deposedWrites} while deposed\n`);
    }
  }
  for (const p of r.replicas) {
    const spin = p.livelock;
    if (spin !== undefined) {
      out.push(`  ✗ ${several ? `replica ${p.index} (${p.identity})` : 'the manager'} spun: ${spin.requests} API requests at one virtual instant (${seconds(spin.at)}; last ${spin.last}), a retry loop without a delay; the simulator froze it\n`);
    }
  }
  for (const p of r.replicas) {
    const stop = p.stopped;
    if (stop === undefined) continue;
    const who = several ? `replica ${p.index} (${p.identity})` : 'the manager';
    if (stop.expected) out.push(`  ✓ ${who} stopped as expected with exit code ${stop.exitCode}: ${stop.reason}\n`);
    else out.push(`  ✗ ${who} stopped on its own with exit code ${stop.exitCode}: ${stop.reason} (no manager expectation asked for it)\n`);
  }
  return out.join('');
}
