/**
 * `outrigger credential-provider exec|test`: the kubelet's side of image credential providers,
 * run against real plugin binaries. Thin: parses flags, reads the kubelet config, and drives
 * the harness in src/credential-provider/.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import { FakeClock } from '../kube/clock.js';
import { formatGoDuration, parseGoDuration } from '../manager/options/duration.js';
import { readYamlConfigFile } from '../input/yaml-config.js';
import { oneLine } from '../input/one-line.js';
import { execPlugin } from '../credential-provider/exec-plugin.js';
import { checkPluginBinaries, readCredentialProviderConfig } from '../credential-provider/kubelet-config.js';
import type { CredentialProviderEntry } from '../credential-provider/kubelet-config.js';
import { KubeletCredentialSimulator } from '../credential-provider/kubelet-simulator.js';
import type { PluginOutcome, PullPod, PullReport, ServiceAccountInfo } from '../credential-provider/kubelet-simulator.js';

/** Where the command writes. */
export interface CredentialProviderCommandIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

const USAGE = `Usage: outrigger credential-provider <exec|test> [flags]

The kubelet's side of image credential providers, against real plugin binaries.

  exec   look up credentials for one image as the kubelet would: which providers match,
         the exec, the strict decoding of the answer, what would be cached
  test   replay a sequence of pulls on a virtual clock: which pulls exec a plugin and
         which hit the kubelet's cache

Flags:
  --config PATH       the kubelet's CredentialProviderConfig (file or directory)  [required]
  --bin-dir DIR       the kubelet's --image-credential-provider-bin-dir           [required]
  --image REF         an image to pull (repeatable; test: one pull per --every)
  --every DURATION    test: time between --image pulls (default 1m)
  --pulls FILE        test: a YAML file of pulls and service accounts (see docs/credential-provider.md)
  --pod NS/NAME       exec: the pod pulling (service-account mode)
  --service-account NAME   exec: the pod's service account (service-account mode)
  --sa-annotation K=V      exec: an annotation of that service account (repeatable)
  --timeout DURATION  kill a plugin after this long (default 1m, as the kubelet)
  --help              this help

Exit status: 0 every lookup succeeded, 1 some plugin failed as the kubelet would log it,
2 bad flags or config.
`;

class UsageError extends Error {}

const pullsSchema = z.strictObject({
  serviceAccounts: z
    .array(z.strictObject({ namespace: z.string(), name: z.string(), uid: z.string().optional(), annotations: z.record(z.string(), z.string()).optional() }))
    .optional(),
  pulls: z
    .array(
      z.strictObject({
        image: z.string().min(1),
        at: z.string().optional(),
        pod: z.strictObject({ namespace: z.string(), name: z.string(), uid: z.string().optional(), serviceAccountName: z.string().optional() }).optional(),
      }),
    )
    .min(1),
});

interface PlannedPull {
  readonly atMs: number;
  readonly reference: string;
  readonly pod?: PullPod;
}

function duration(flag: string, text: string): number {
  try {
    const ms = parseGoDuration(text);
    if (ms < 0) throw new Error('must not be negative');
    return ms;
  } catch (err) {
    throw new UsageError(`${flag}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function describeOutcome(o: PluginOutcome, start: number): string {
  switch (o.outcome) {
    case 'not-matched':
      return `not matched (${o.reason})`;
    case 'skipped':
      return `skipped: ${o.reason}`;
    case 'error':
      return `error: ${o.kubeletMessage.trimEnd()}${o.detail === o.kubeletMessage ? '' : ` [cause, not logged by the kubelet: ${o.detail}]`}`;
    case 'cache-hit':
      return `cache hit: ${o.cacheKeyType} key ${JSON.stringify(o.cacheBaseKey)}, expires at ${formatGoDuration((o.expiresAt ?? start) - start)}`;
    case 'exec':
      return `exec${o.shared ? ' (shared with a concurrent pull)' : ''}: ${o.cacheKeyType} key ${JSON.stringify(o.cacheBaseKey)}, ${o.expiresAt === undefined ? 'not cached' : `cached until ${formatGoDuration(o.expiresAt - start)}`}`;
  }
}

function authLines(o: PluginOutcome): string[] {
  if (o.outcome !== 'exec' && o.outcome !== 'cache-hit') return [];
  // Never print a password: its length is enough to tell an empty answer from a real one.
  return Object.entries(o.auth).map(([pattern, a]) => `    auth ${pattern}: username ${JSON.stringify(a.username)}, password ${a.password.length} characters`);
}

async function loadPulls(path: string): Promise<{ pulls: PlannedPull[]; serviceAccounts: ServiceAccountInfo[] }> {
  const doc = await readYamlConfigFile(path, { source: '--pulls' });
  const parsed = doc.validate(pullsSchema);
  const pulls = parsed.pulls.map((p, i): PlannedPull => {
    let atMs = 0;
    if (p.at !== undefined) {
      try {
        atMs = parseGoDuration(p.at);
      } catch (err) {
        doc.fail(['pulls', i, 'at'], err instanceof Error ? err.message : String(err));
      }
    }
    const pod = p.pod === undefined ? undefined : { namespace: p.pod.namespace, name: p.pod.name, uid: p.pod.uid ?? `uid-${p.pod.name}`, ...(p.pod.serviceAccountName === undefined ? {} : { serviceAccountName: p.pod.serviceAccountName }) };
    return { atMs, reference: p.image, ...(pod === undefined ? {} : { pod }) };
  });
  const serviceAccounts = (parsed.serviceAccounts ?? []).map((s) => ({ namespace: s.namespace, name: s.name, uid: s.uid ?? `uid-${s.name}`, annotations: s.annotations ?? {} }));
  return { pulls, serviceAccounts };
}

/**
 * Runs `outrigger credential-provider …`; resolves to the exit status.
 */
export async function runCredentialProviderCommand(argv: readonly string[], io: CredentialProviderCommandIo): Promise<number> {
  const out = (line: string): void => void io.stdout.write(`${line}\n`);
  const sub = argv[0];
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    io.stdout.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  try {
    if (sub !== 'exec' && sub !== 'test') throw new UsageError(`unknown subcommand ${JSON.stringify(sub)} (exec or test)`);
    let values;
    try {
      ({ values } = parseArgs({
        args: argv.slice(1),
        strict: true,
        allowPositionals: false,
        options: {
          config: { type: 'string' },
          'bin-dir': { type: 'string' },
          image: { type: 'string', multiple: true },
          every: { type: 'string' },
          pulls: { type: 'string' },
          pod: { type: 'string' },
          'service-account': { type: 'string' },
          'sa-annotation': { type: 'string', multiple: true },
          timeout: { type: 'string' },
          help: { type: 'boolean' },
        },
      }));
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
    if (values.help === true) {
      io.stdout.write(USAGE);
      return 0;
    }
    if (values.config === undefined) throw new UsageError('--config is required');
    if (values['bin-dir'] === undefined) throw new UsageError('--bin-dir is required');
    const binDir = values['bin-dir'];
    const timeoutMs = values.timeout === undefined ? undefined : duration('--timeout', values.timeout);
    const providers: CredentialProviderEntry[] = await readCredentialProviderConfig(values.config, '--config');
    await checkPluginBinaries(binDir, providers);
    const clock = new FakeClock();
    const start = clock.now();

    let plan: PlannedPull[];
    let serviceAccounts: ServiceAccountInfo[] = [];
    if (sub === 'exec') {
      if (values.image?.length !== 1) throw new UsageError('exec needs exactly one --image');
      let pod: PullPod | undefined;
      if (values.pod !== undefined || values['service-account'] !== undefined) {
        const [namespace, name] = (values.pod ?? 'default/pod').split('/');
        if (namespace === undefined || name === undefined || namespace === '' || name === '') throw new UsageError(`--pod: ${JSON.stringify(values.pod)} is not NAMESPACE/NAME`);
        const saName = values['service-account'] ?? '';
        pod = { namespace, name, uid: `uid-${name}`, serviceAccountName: saName };
        if (saName !== '') {
          const annotations: Record<string, string> = {};
          for (const kv of values['sa-annotation'] ?? []) {
            const eq = kv.indexOf('=');
            if (eq <= 0) throw new UsageError(`--sa-annotation: ${JSON.stringify(kv)} is not KEY=VALUE`);
            annotations[kv.slice(0, eq)] = kv.slice(eq + 1);
          }
          serviceAccounts = [{ namespace, name: saName, uid: `uid-${saName}`, annotations }];
        }
      }
      plan = [{ atMs: 0, reference: values.image[0] as string, ...(pod === undefined ? {} : { pod }) }];
    } else if (values.pulls !== undefined) {
      if (values.image !== undefined) throw new UsageError('give --pulls or --image, not both');
      ({ pulls: plan, serviceAccounts } = await loadPulls(values.pulls));
    } else {
      if (values.image === undefined) throw new UsageError('test needs --pulls FILE or at least one --image');
      const every = duration('--every', values.every ?? '1m');
      plan = values.image.map((reference, i) => ({ atMs: i * every, reference }));
    }

    const sim = new KubeletCredentialSimulator({
      providers,
      clock,
      serviceAccounts,
      run: (p, req) => execPlugin(p, req, { binDir, ...(timeoutMs === undefined ? {} : { timeoutMs }) }),
    });
    // Pulls at the same instant run together, so concurrent misses share one exec as on a node.
    const byTime = new Map<number, PlannedPull[]>();
    for (const p of [...plan].sort((a, b) => a.atMs - b.atMs)) byTime.set(p.atMs, [...(byTime.get(p.atMs) ?? []), p]);
    const reports: PullReport[] = [];
    for (const [atMs, group] of byTime) {
      await clock.advanceTo(start + atMs);
      reports.push(...(await sim.pullTogether(group.map((g) => ({ reference: g.reference, ...(g.pod === undefined ? {} : { pod: g.pod }) })))));
    }
    let execs = 0;
    let hits = 0;
    let errors = 0;
    for (const r of reports) {
      out(`${formatGoDuration(r.at - start)} pull ${r.reference}${r.reference === r.image ? '' : ` (asks about ${r.image})`}`);
      for (const o of r.plugins) {
        out(`  ${o.plugin}: ${oneLine(describeOutcome(o, start))}`);
        if (sub === 'exec') for (const l of authLines(o)) out(l);
        if (o.outcome === 'exec' && o.shared !== true) execs++;
        if (o.outcome === 'cache-hit') hits++;
        if (o.outcome === 'error') errors++;
      }
    }
    out(`${reports.length} pull${reports.length === 1 ? '' : 's'}: ${execs} exec${execs === 1 ? '' : 's'}, ${hits} cache hit${hits === 1 ? '' : 's'}, ${errors} error${errors === 1 ? '' : 's'}`);
    return errors > 0 ? 1 : 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`outrigger credential-provider: ${oneLine(message)}\n`);
    if (err instanceof UsageError) io.stderr.write(`(outrigger credential-provider --help for usage)\n`);
    return 2;
  }
}
