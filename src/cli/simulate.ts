/**
 * `outrigger simulate`: runs a scenario file, a generated cluster (`--nodes/--services`) or the
 * demonstration (`--demo`) against the real manager wiring on a virtual clock. Thin: parse the
 * command line, call the runner, print. Exit 0 when every expectation held, 1 when one failed,
 * 2 on a bad command line or scenario.
 *
 * @module
 */
import { InputFileError, readInputText } from '../input/read-input-file.js';
import { loadProviderModule } from '../cloud/module-loader.js';
import { ProviderRegistry } from '../cloud/registry.js';
import { ProviderModuleError } from '../cloud/registry-errors.js';
import { demoScenario, generateCluster, generateClusterObjects } from '../simulation/generators/index.js';
import { CloudStepError, formatReport, runScenario, SimulationSetupError } from '../simulation/runner/index.js';
import type { SimulationProgress } from '../simulation/runner/index.js';
import { ScenarioError } from '../simulation/scenario/scenario-error.js';
import type { ScenarioFile } from '../simulation/scenario/index.js';

/** Where `outrigger simulate` writes, and whether stdout is a terminal (live progress line). */
export interface SimulateIo {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown };
  /** Reads a scenario file (default: the file system). */
  readonly readFile?: (path: string) => Promise<string>;
  /** Ends `--demo-local`'s serving phase (Ctrl-C). */
  readonly signal?: AbortSignal;
}

/** The usage text of `outrigger simulate`. */
export const SIMULATE_USAGE = `Usage:
  outrigger simulate <scenario.yaml> [--provider-module M]... [--cloud-config FILE]
                     [--leader-migration-config FILE] [--allow-local-provider]
                     [--output text|json] [--seed N] [-v N]
  outrigger simulate --nodes N [--services M] [--output text|json] [--seed N]
  outrigger simulate --demo
  outrigger simulate --demo-local [--once] [--pool CIDR] [--node-subnet 127.A.B]

Runs the real controllers and manager wiring against a simulated API server on a virtual clock.
--demo-local uses the local provider: real TCP load balancers from --pool (default
127.0.100.0/24) in front of simulated kube-proxies on the nodes' addresses (default
127.0.50.1-3); it sends one HTTP request through each, then serves until Ctrl-C (--once: exits).
--provider-module loads a provider module (package, package folder or file, as for
outrigger run) before the run, so the scenario's provider.name may name what it registers. A
scenario runs no code, reads no files and opens no ports of its own: its manager section may not
name a module, a file, a port or an API server (provider-module, cloud-config, cert-dir,
secure-port, kubeconfig, …). Give a module with --provider-module, the provider's config file
with --cloud-config (or inline as provider.config), a leader migration config with
--leader-migration-config. A scenario with the local provider (real listeners on this host's
addresses) runs only with --allow-local-provider; paths in it resolve inside a temporary folder
the run removes.
--nodes and --services are at most 50000 each; a scenario file is a regular file of at most 4 MiB.
Exit 0 when every expectation holds, 1 when one fails, 2 on a bad scenario or command line.
`;

class UsageError extends Error {}

/**
 * Largest `--nodes` and `--services`: the simulator keeps the whole cluster in memory (10,000 +
 * 10,000 peak at about 280 MB, docs/simulator.md), and the generated pod CIDRs are unique up to
 * 65,536 nodes. 100,000,000 ran out of memory.
 */
export const MAX_GENERATED_OBJECTS = 50_000;
/** mulberry32 takes a 32-bit seed. */
const MAX_SEED = 2 ** 32 - 1;
/** As `outrigger run -v`: klog's level is an int32. */
const MAX_VERBOSITY = 2 ** 31 - 1;

/** The bounded default reader of a scenario file (a regular file of at most 4 MiB). */
const readScenarioFile = (path: string): Promise<string> => readInputText(path, { source: 'scenario file' });

interface SimulateArgs {
  file?: string;
  output: 'text' | 'json';
  seed?: number;
  nodes?: number;
  services?: number;
  demo: boolean;
  demoLocal: boolean;
  once: boolean;
  pool?: string;
  nodeSubnet?: string;
  verbosity?: number;
  /** `--provider-module`: modules to load before the run (the only way a scenario gets code). */
  providerModules: string[];
  /** `--cloud-config` and `--leader-migration-config`: files the manager reads, named by the user. */
  managerFiles: Record<string, string>;
  /** `--allow-local-provider`: the scenario may bind this host's addresses. */
  allowLocalProvider: boolean;
}

function count(flag: string, value: string | undefined, max: number, why: string): number {
  if (value === undefined || !/^\d+$/.test(value)) throw new UsageError(`${flag}: expected a whole number, got ${JSON.stringify(value ?? '')}`);
  const n = Number(value);
  if (n > max) throw new UsageError(`${flag}: at most ${max} (${why}), got ${value}`);
  return n;
}

function parseArgs(argv: readonly string[]): SimulateArgs {
  const args: SimulateArgs = { output: 'text', demo: false, demoLocal: false, once: false, providerModules: [], managerFiles: {}, allowLocalProvider: false };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] ?? '';
    const eq = raw.indexOf('=');
    const flag = raw.startsWith('-') && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith('-') && eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--output':
      case '-o': {
        const v = value();
        if (v !== 'text' && v !== 'json') throw new UsageError(`--output: expected text or json, got ${JSON.stringify(v ?? '')}`);
        args.output = v;
        break;
      }
      case '--seed':
        args.seed = count('--seed', value(), MAX_SEED, 'a 32-bit seed');
        break;
      case '--nodes':
        args.nodes = count('--nodes', value(), MAX_GENERATED_OBJECTS, 'the simulated cluster lives in memory');
        break;
      case '--services':
        args.services = count('--services', value(), MAX_GENERATED_OBJECTS, 'the simulated cluster lives in memory');
        break;
      case '-v':
      case '--v':
        args.verbosity = count('-v', value(), MAX_VERBOSITY, "klog's level is an int32");
        break;
      case '--demo':
        args.demo = true;
        break;
      case '--demo-local':
        args.demoLocal = true;
        break;
      case '--once':
        args.once = true;
        break;
      case '--pool':
        args.pool = value() ?? '';
        break;
      case '--provider-module': {
        const v = value() ?? '';
        if (v === '') throw new UsageError('--provider-module: expected a package name or a file path');
        args.providerModules.push(v);
        break;
      }
      case '--cloud-config':
      case '--leader-migration-config': {
        const v = value() ?? '';
        if (v === '') throw new UsageError(`${flag}: expected a file path`);
        args.managerFiles[flag.slice(2)] = v;
        break;
      }
      case '--allow-local-provider':
        args.allowLocalProvider = true;
        break;
      case '--node-subnet': {
        const v = value() ?? '';
        if (!/^127\.(\d{1,3})\.(\d{1,3})$/.test(v) || v.split('.').some((o) => Number(o) > 255)) throw new UsageError(`--node-subnet: expected three octets of 127.0.0.0/8 such as 127.0.50, got ${JSON.stringify(v)}`);
        args.nodeSubnet = v;
        break;
      }
      default:
        if (raw.startsWith('-')) throw new UsageError(`unknown flag ${JSON.stringify(raw)}`);
        if (args.file !== undefined) throw new UsageError(`one scenario file at a time (got ${JSON.stringify(args.file)} and ${JSON.stringify(raw)})`);
        args.file = raw;
    }
  }
  const modes = [args.file !== undefined, args.nodes !== undefined || args.services !== undefined, args.demo, args.demoLocal].filter(Boolean).length;
  if (modes !== 1) throw new UsageError('give a scenario file, --nodes/--services, --demo or --demo-local (exactly one)');
  if (!args.demoLocal && (args.once || args.pool !== undefined || args.nodeSubnet !== undefined)) throw new UsageError('--once, --pool and --node-subnet go with --demo-local');
  if (args.file === undefined) {
    const given = [...(args.providerModules.length > 0 ? ['--provider-module'] : []), ...Object.keys(args.managerFiles).map((f) => `--${f}`), ...(args.allowLocalProvider ? ['--allow-local-provider'] : [])];
    if (given.length > 0) throw new UsageError(`${given.join(', ')} ${given.length === 1 ? 'goes' : 'go'} with a scenario file`);
  }
  return args;
}

function progressLine(p: SimulationProgress): string {
  return `t=${(p.virtualMs / 1000).toFixed(0)}s  nodes initialised ${p.nodes.initialised}/${p.nodes.total}  LBs ensured ${p.loadBalancers.ensured}/${p.loadBalancers.services}`;
}

/**
 * Runs `outrigger simulate` with `argv` (after the command name); resolves with the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await runSimulateCommand(['examples/scenarios/node-init.yaml', '--output', 'json'], process);
 * ```
 */
export async function runSimulateCommand(argv: readonly string[], io: SimulateIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(SIMULATE_USAGE);
    return 0;
  }
  let args: SimulateArgs;
  let scenario: ScenarioFile;
  try {
    args = parseArgs(argv);
    if (args.file !== undefined) {
      const file = args.file;
      const text = await (io.readFile ?? readScenarioFile)(file).catch((err: unknown) => {
        const why = err instanceof InputFileError ? `the file ${err.detail}` : err instanceof Error ? err.message : String(err);
        throw new UsageError(`cannot read ${JSON.stringify(file)}: ${why}`);
      });
      // Loaded on use, as the local demo below: the scenario schema (and zod with it) would
      // otherwise sit in the heap of every generated run. See docs/performance.md.
      const { loadScenario } = await import('../simulation/scenario/load-scenario.js');
      scenario = loadScenario(text, file);
    } else if (args.demoLocal) {
      return await runLocalDemoCommand(args, io);
    } else if (args.demo) {
      scenario = demoScenario();
    } else {
      // The objects are made while the run creates them (initialObjects below), not held twice.
      scenario = generateCluster({ nodes: args.nodes ?? 0, services: args.services ?? 0, objects: false, ...(args.seed === undefined ? {} : { seed: args.seed }) });
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`outrigger simulate: ${err.message}\n\n${SIMULATE_USAGE}`);
      return 2;
    }
    if (err instanceof ScenarioError) {
      io.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (args.verbosity !== undefined) scenario = { ...scenario, manager: { ...scenario.manager, v: args.verbosity } };
  const generated = args.file === undefined && !args.demo;
  const tty = io.stdout.isTTY === true && args.output === 'text';
  let lastLine = '';
  const onProgress = (p: SimulationProgress): void => {
    const line = progressLine(p);
    if (line === lastLine) return;
    lastLine = line;
    if (tty) io.stdout.write(`\r\x1b[2K${line}`);
    else if (args.output === 'text' && generated) io.stdout.write(`${line}\n`);
  };
  try {
    if (args.demo && args.output === 'text') {
      io.stdout.write('Outrigger demo: 3 kubelet-registered nodes and 2 LoadBalancer Services on a simulated cluster,\n' +
        'the fake cloud provider and the real controllers on a virtual clock. Then node-2 vanishes from the cloud.\n\n');
    }
    const registry = new ProviderRegistry();
    for (const specifier of args.providerModules) {
      try {
        await loadProviderModule(specifier, registry);
      } catch (err) {
        if (!(err instanceof ProviderModuleError)) throw err;
        io.stderr.write(`outrigger simulate: --provider-module: ${err.message}\n`);
        return 2;
      }
    }
    const report = await runScenario(scenario, {
      registry,
      allowedProviderModules: args.providerModules,
      managerFlags: args.managerFiles,
      // Built-in scenarios (--demo, generated clusters) use the fake provider; a file needs the flag.
      allowLocalProvider: args.file === undefined || args.allowLocalProvider,
      ...(args.seed === undefined ? {} : { seed: args.seed }),
      detail: !generated,
      ...(generated ? { initialObjects: generateClusterObjects({ nodes: args.nodes ?? 0, services: args.services ?? 0 }) } : {}),
      ...(args.output === 'text' ? { onProgress, progressEveryMs: generated ? 1_000 : 5_000 } : {}),
      ...(args.verbosity === undefined ? {} : { log: (line: string) => void io.stderr.write(line) }),
    });
    if (tty && lastLine !== '') io.stdout.write('\n');
    io.stdout.write(args.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return report.passed ? 0 : 1;
  } catch (err) {
    if (err instanceof SimulationSetupError || err instanceof CloudStepError || err instanceof ScenarioError) {
      if (tty && lastLine !== '') io.stdout.write('\n');
      io.stderr.write(`outrigger simulate: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

async function runLocalDemoCommand(args: SimulateArgs, io: SimulateIo): Promise<number> {
  try {
    const result = await (await import('../simulation/local-demo/index.js')).runLocalDemo({
      once: args.once,
      // With --output json, stdout carries the JSON alone: the narration goes to stderr.
      out: (text) => void (args.output === 'json' ? io.stderr : io.stdout).write(text),
      ...(args.pool === undefined ? {} : { pool: args.pool }),
      ...(args.nodeSubnet === undefined ? {} : { nodeSubnet: args.nodeSubnet }),
      ...(io.signal === undefined ? {} : { signal: io.signal }),
    });
    if (args.output === 'json') io.stdout.write(`${JSON.stringify({ ...result.report, answers: result.answers }, null, 2)}\n`);
    else io.stdout.write(`\n${formatReport(result.report)}`);
    return result.passed ? 0 : 1;
  } catch (err) {
    if (err instanceof SimulationSetupError) {
      io.stderr.write(`outrigger simulate: ${err.message}\n`);
      return 2;
    }
    // Binding the simulated kube-proxies failed (address or port taken): say which, no stack.
    if (err instanceof Error && err.message.startsWith('simulated kube-proxy:')) {
      io.stderr.write(`outrigger simulate: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
