/**
 * `outrigger sandbox`: a cluster kubectl can use, on loopback (src/sandbox). Thin: parse the
 * command line, start the sandbox, print what to type next, serve until the signal aborts. Exit 0
 * after Ctrl-C, 1 when the manager fails while serving or the demo's check fails, 2 on bad input.
 *
 * @module
 */
import { createWriteStream, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RealClock } from '../kube/clock.js';
import { isInputError } from '../cloud/input-error.js';
import { errorMessage } from '../log/error-message.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../manager/exit.js';
import { cryptoRandom, runSandboxDemo, startSandbox } from '../sandbox/index.js';
import type { Sandbox, SandboxOptions } from '../sandbox/index.js';

/** Where `outrigger sandbox` writes, its environment, and the signal that stops it (Ctrl-C). */
export interface SandboxIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** For the default kubeconfig path (`XDG_STATE_HOME`, `HOME`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
}

/** The usage text of `outrigger sandbox`. */
export const SANDBOX_USAGE = `Usage:
  outrigger sandbox [--nodes N] [--node-subnet 127.A.B] [--pool CIDR]
                    [--apiserver-address IP] [--apiserver-port P] [--kube-proxy-healthz-port P]
                    [--kubeconfig-out FILE] [--force] [--manager-log FILE|-] [-v N]
                    [--manager-secure-port P]
                    [--provider-module M]... [--cloud-provider NAME] [--cloud-config FILE]
                    [--demo [--once]]

A cluster kubectl can use, on loopback: the simulated API server (a test double) over HTTPS with
a fresh CA and token, N simulated kubelets (Nodes registered with the uninitialized taint, Lease
heartbeats, Ready) whose simulated kube-proxies answer every node port with an echo backend on
the node's address (--node-subnet, default 127.0.50: node i on 127.0.50.<i+1>) and kube-proxy's
/healthz (--kube-proxy-healthz-port, default 10256), and the real cloud-controller-manager with
the local provider on the wall clock: real TCP load balancers from --pool (default
127.0.100.0/24). Serves until Ctrl-C, then closes every listener and removes what it wrote.

  --nodes N                 simulated nodes, 1-100 (default 3)
  --apiserver-address IP    loopback address of the API server (default 127.0.0.1)
  --apiserver-port P        its port (default 0: a free one, written in the kubeconfig)
  --kubeconfig-out FILE     where to write the kubeconfig (default
                            $XDG_STATE_HOME/outrigger/sandbox/kubeconfig, or
                            ~/.local/state/outrigger/sandbox/kubeconfig); an existing file is
                            refused unless --force; removed when the sandbox stops
  --manager-log FILE|-      the manager's log (klog text) to FILE, or - for standard error
                            (default: dropped; kubectl get events shows what it did)
  --manager-secure-port P   serve the manager's /healthz and /metrics over HTTPS on
                            --apiserver-address:P, authenticated and authorised through the
                            sandbox's API (the kubeconfig's token may read /metrics)
  --provider-module M       load a provider module (as outrigger run); then --cloud-provider
                            names the provider and --cloud-config its config (no --pool)
  --demo                    also create two LoadBalancer Services (web, api), print each
                            address and one request through it (npm start); --once exits then
Exit 0 after Ctrl-C, 1 when the manager fails or the demo's request fails, 2 on bad input.
`;

class UsageError extends Error {}

interface SandboxArgs {
  options: Omit<SandboxOptions, 'kubeconfigOut'> & { kubeconfigOut?: string };
  managerLog?: string;
  demo: boolean;
  once: boolean;
}

function port(flag: string, value: string | undefined, min: number): number {
  if (value === undefined || !/^\d{1,5}$/.test(value) || Number(value) < min || Number(value) > 65535) {
    throw new UsageError(`${flag}: expected a port number from ${min} to 65535, got ${JSON.stringify(value ?? '')}`);
  }
  return Number(value);
}

function parseArgs(argv: readonly string[]): SandboxArgs {
  const options: SandboxArgs['options'] & { providerModules: string[] } = { providerModules: [] };
  const args: SandboxArgs = { options, demo: false, once: false };
  const o = options as { -readonly [K in keyof typeof options]: (typeof options)[K] };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] ?? '';
    const eq = raw.indexOf('=');
    const flag = raw.startsWith('-') && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith('-') && eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag}: expected a value`);
      return v;
    };
    switch (flag) {
      case '--nodes': {
        const v = value();
        if (!/^\d{1,4}$/.test(v)) throw new UsageError(`--nodes: expected a whole number, got ${JSON.stringify(v)}`);
        o.nodes = Number(v);
        break;
      }
      case '--node-subnet':
        o.nodeSubnet = value();
        break;
      case '--pool':
        o.pool = value();
        break;
      case '--apiserver-address':
        o.apiserverAddress = value();
        break;
      case '--apiserver-port':
        o.apiserverPort = port(flag, value(), 0);
        break;
      case '--kube-proxy-healthz-port':
        o.healthzPort = port(flag, value(), 0);
        break;
      case '--manager-secure-port':
        o.managerSecurePort = port(flag, value(), 1);
        break;
      case '--kubeconfig-out':
        o.kubeconfigOut = value();
        break;
      case '--force':
        o.force = true;
        break;
      case '--manager-log':
        args.managerLog = value();
        break;
      case '-v':
      case '--v': {
        const v = value();
        if (!/^\d{1,9}$/.test(v)) throw new UsageError(`-v: expected a whole number, got ${JSON.stringify(v)}`);
        o.verbosity = Number(v);
        break;
      }
      case '--provider-module':
        options.providerModules.push(value());
        break;
      case '--cloud-provider':
        o.cloudProvider = value();
        break;
      case '--cloud-config':
        o.cloudConfig = value();
        break;
      case '--demo':
        args.demo = true;
        break;
      case '--once':
        args.once = true;
        break;
      default:
        throw new UsageError(raw.startsWith('-') ? `unknown flag ${JSON.stringify(raw)}` : `unexpected argument ${JSON.stringify(raw)}`);
    }
  }
  if (args.once && !args.demo) throw new UsageError('--once goes with --demo');
  if (o.cloudConfig !== undefined && o.cloudProvider === undefined) throw new UsageError('--cloud-config goes with --cloud-provider (the local provider gets a generated config: use --pool)');
  if (o.cloudProvider !== undefined && o.pool !== undefined) throw new UsageError('--pool configures the generated local provider: give your provider its addresses in --cloud-config');
  if (args.demo && o.cloudProvider !== undefined) throw new UsageError('--demo checks the local provider\'s addresses: it does not go with --cloud-provider');
  return args;
}

/** `$XDG_STATE_HOME/outrigger/sandbox/kubeconfig`, or under `~/.local/state` (the XDG default). */
export function defaultKubeconfigPath(env: Readonly<Record<string, string | undefined>>): string {
  const state = env['XDG_STATE_HOME'] !== undefined && isAbsolute(env['XDG_STATE_HOME']) ? env['XDG_STATE_HOME'] : join(env['HOME'] ?? homedir(), '.local', 'state');
  return join(state, 'outrigger', 'sandbox', 'kubeconfig');
}

/** The example manifest, as a path the user can type from where they are. */
function examplePath(): string | undefined {
  const file = fileURLToPath(new URL('../../examples/sandbox/lb-service.yaml', import.meta.url));
  if (!existsSync(file)) return undefined;
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

function shellQuote(text: string): string {
  return /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

function banner(s: Sandbox): string {
  const first = s.nodes[0]?.address ?? '';
  const last = s.nodes.at(-1)?.address ?? '';
  const example = examplePath();
  const lines = [
    `Outrigger sandbox: the simulated API server (a test double) on ${s.url},`,
    `${s.nodes.length} simulated node${s.nodes.length === 1 ? '' : 's'} (${s.nodes.map((n) => n.name).join(', ')} on ${first === last ? first : `${first}-${last.split('.').at(-1) ?? ''}`}; kube-proxy /healthz on port ${s.healthzPort})`,
    `and the real cloud-controller-manager with the ${s.provider} provider${s.provider === 'local' ? ` (LoadBalancers from ${s.pool})` : ''}.`,
    '',
    `Kubeconfig: ${s.kubeconfigPath} (removed when the sandbox stops)`,
    ...(s.managerUrl === undefined ? [] : [`Manager: ${s.managerUrl}/healthz and /metrics (HTTPS, self-signed; the kubeconfig's token may read /metrics)`]),
    '',
    'In another terminal:',
    `  export KUBECONFIG=${shellQuote(s.kubeconfigPath)}`,
    '  kubectl get nodes -o wide',
    ...(example === undefined
      ? []
      : [
          `  kubectl apply -f ${shellQuote(example)}`,
          "  kubectl wait --for=jsonpath='{.status.loadBalancer.ingress}' service/hello",
          '  kubectl get service hello',
          '  curl "http://$(kubectl get service hello -o jsonpath=\'{.status.loadBalancer.ingress[0].ip}\'):8080/"',
        ]),
    '',
  ];
  return `${lines.join('\n')}\n`;
}

/** Waits for the signal, or for the manager to end by itself; resolves with the exit code. */
async function serve(s: Sandbox, io: SandboxIo): Promise<number> {
  const stopped = new Promise<'signal'>((resolve) => {
    if (io.signal === undefined) return;
    if (io.signal.aborted) resolve('signal');
    else io.signal.addEventListener('abort', () => resolve('signal'), { once: true });
  });
  const outcome = await Promise.race([stopped, s.managerExit]);
  if (outcome === 'signal') {
    io.stdout.write('Stopping: closing every listener and removing the kubeconfig.\n');
    return EXIT_OK;
  }
  io.stderr.write(`outrigger sandbox: the cloud-controller-manager stopped (exit ${outcome}); stopping the sandbox\n`);
  return EXIT_FAILURE;
}

/**
 * Runs `outrigger sandbox` with `argv` (after the command name); resolves with the exit code once
 * everything it started is closed.
 *
 * @example
 * ```ts
 * process.exitCode = await runSandboxCommand(['--nodes', '2'], { stdout: process.stdout, stderr: process.stderr, signal });
 * ```
 */
export async function runSandboxCommand(argv: readonly string[], io: SandboxIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(SANDBOX_USAGE);
    return EXIT_OK;
  }
  let args: SandboxArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`outrigger sandbox: ${err.message}\n\n${SANDBOX_USAGE}`);
    return EXIT_USAGE;
  }
  const env = io.env ?? process.env;
  const kubeconfigOut = args.options.kubeconfigOut ?? defaultKubeconfigPath(env);
  let logFile: ReturnType<typeof createWriteStream> | undefined;
  let managerLog: ((text: string) => void) | undefined;
  if (args.managerLog === '-') managerLog = (t) => void io.stderr.write(t);
  else if (args.managerLog !== undefined) {
    const path = resolve(args.managerLog);
    logFile = createWriteStream(path, { flags: 'a', mode: 0o600 });
    const failed = await new Promise<Error | undefined>((done) => {
      logFile?.once('open', () => done(undefined));
      logFile?.once('error', (err) => done(err));
    });
    if (failed !== undefined) {
      io.stderr.write(`outrigger sandbox: --manager-log: cannot open ${path}: ${failed.message}\n`);
      return EXIT_USAGE;
    }
    managerLog = (t) => void logFile?.write(t);
  }
  const clock = new RealClock();
  let sandbox: Sandbox | undefined;
  try {
    sandbox = await startSandbox({
      ...args.options,
      kubeconfigOut,
      clock,
      log: (t) => void io.stderr.write(t),
      ...(managerLog === undefined ? {} : { managerLog }),
    });
    io.stdout.write(banner(sandbox));
    // Ctrl-C while starting (or during the demo's wait) is a stop, not a failed demo: exit 0.
    const interrupted = (): boolean => io.signal?.aborted === true;
    if (args.demo && !interrupted()) {
      const answers = await runSandboxDemo(sandbox, { out: (t) => void io.stdout.write(t), clock, random: cryptoRandom, ...(io.signal === undefined ? {} : { signal: io.signal }) });
      const failed = answers.filter((a) => a.error !== undefined).length;
      if (args.once && !interrupted()) {
        io.stdout.write(failed === 0 ? '\nEvery LoadBalancer answered: PASS\n' : `\n${failed} of ${answers.length} LoadBalancers did not answer: FAIL\n`);
        return failed === 0 ? EXIT_OK : EXIT_FAILURE;
      }
      const first = answers.find((a) => a.error === undefined);
      if (first !== undefined && !interrupted()) io.stdout.write(`\nTry: curl ${first.url}\n`);
    }
    if (!interrupted()) io.stdout.write('\nServing until Ctrl-C.\n');
    return await serve(sandbox, io);
  } catch (err) {
    if (isInputError(err)) {
      io.stderr.write(`outrigger sandbox: ${errorMessage(err)}\n`);
      return EXIT_USAGE;
    }
    io.stderr.write(`outrigger sandbox: ${errorMessage(err)}\n`);
    return EXIT_FAILURE;
  } finally {
    await sandbox?.close();
    if (logFile !== undefined) await new Promise<void>((done) => logFile?.end(() => done()));
  }
}
