/**
 * `outrigger sandbox` as a library: a cluster kubectl can use, on loopback, in this process. The
 * simulated API server (a test double) is served over HTTPS with a fresh CA and a bearer token;
 * simulated kubelets register Nodes and heartbeat; simulated kube-proxies answer node ports with
 * an echo backend; and the real cloud-controller-manager (the same code as `outrigger run`, on
 * the wall clock) talks to the API over HTTPS through the client-node adapter with the `local`
 * provider — or any provider a module registers.
 *
 * Everything it opens, {@link Sandbox.close} closes: listeners, the manager, heartbeats, the
 * temporary folder (cloud config, the manager's kubeconfig) and the kubeconfig it wrote. When
 * start-up fails, what was opened is closed before the error is thrown.
 *
 * @module
 */
import { randomBytes, randomUUID, getRandomValues } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Namespace } from 'kubernetes-types/core/v1.js';
import { ProviderRegistry } from '../cloud/registry.js';
import type { KubeClient } from '../kube/client.js';
import { RealClock } from '../kube/clock.js';
import type { Clock } from '../kube/clock.js';
import { KubeApiError } from '../kube/errors.js';
import { SimulatedApiServer } from '../kube/memory/index.js';
import { HttpApiServer } from '../kube/memory/http/index.js';
import { NAMESPACES } from '../kube/resources.js';
import { errorMessage } from '../log/error-message.js';
import { runCloudControllerManager } from '../manager/run.js';
import { registerBuiltinProviders } from '../providers/builtin.js';
import { registerLocalProvider } from '../providers/local/register-local-provider.js';
import type { LocalCloudProvider } from '../providers/local/local-provider.js';
import { sandboxCertificates } from './sandbox-certificates.js';
import { SandboxInputError, validateSandboxAddresses } from './sandbox-input.js';
import { SIMULATED_KUBELET_VERSION, startSimulatedKubelets } from './simulated-kubelet.js';
import type { SandboxNode, SimulatedKubelets } from './simulated-kubelet.js';
import { startSimulatedNodeProxies } from './simulated-node-proxies.js';
import type { SimulatedNodeProxies } from './simulated-node-proxies.js';
import { waitForObjects } from './wait-for.js';

/** Options of {@link startSandbox}. */
export interface SandboxOptions {
  /** Simulated nodes (default 3). */
  readonly nodes?: number;
  /** First three octets of the node addresses: node i gets `<subnet>.<i+1>` (default `127.0.50`). */
  readonly nodeSubnet?: string;
  /** The local provider's LoadBalancer address pool (default `127.0.100.0/24`). */
  readonly pool?: string;
  /** The API server's address (default `127.0.0.1`; loopback only). */
  readonly apiserverAddress?: string;
  /** The API server's port (default 0: a free port, written in the kubeconfig). */
  readonly apiserverPort?: number;
  /** kube-proxy's health port on every node (default 10256, upstream's); 0 picks a free one. */
  readonly healthzPort?: number;
  /**
   * Where the kubeconfig is written (mode 0600); removed again by {@link Sandbox.close}. Required
   * unless `cluster` is given.
   */
  readonly kubeconfigOut?: string;
  /**
   * An existing cluster to use instead of the simulated API server — the same simulated nodes and
   * manager against, say, a real kube-apiserver, to compare what kubectl sees (the differential
   * e2e test). Its kubeconfig is the manager's and the user's; nothing is written over it.
   */
  readonly cluster?: {
    /** Its API server's URL. */
    readonly url: string;
    /** A kubeconfig with rights to register Nodes, Leases and Services (an administrator's). */
    readonly kubeconfig: string;
    /** A client for it (the simulated kubelets and kube-proxies use it). */
    readonly kube: KubeClient;
  };
  /** Overwrite an existing file at `kubeconfigOut`. */
  readonly force?: boolean;
  /** Provider modules to load (`--provider-module`); with them, `cloudProvider` names the provider. */
  readonly providerModules?: readonly string[];
  /** The provider to run (default `local`, with a generated config for `pool`). */
  readonly cloudProvider?: string;
  /** The provider's config file (`--cloud-config`) for a provider other than the generated `local` one. */
  readonly cloudConfig?: string;
  /**
   * Serve the manager's `/healthz` and `/metrics` over HTTPS on this port of `apiserverAddress`,
   * with authentication and authorisation delegated to the sandbox's API (default: not served).
   */
  readonly managerSecurePort?: number;
  /** The manager's `-v`. */
  readonly verbosity?: number;
  /** Receives the manager's log lines (klog text). */
  readonly managerLog?: (text: string) => void;
  /** Receives the sandbox's own warnings (a heartbeat or a node port that failed). */
  readonly log?: (text: string) => void;
  /** Bound on the manager becoming leader (default 60 s). */
  readonly startTimeoutMs?: number;
  /** Time source (default: the wall clock). */
  readonly clock?: Clock;
}

/** A running sandbox. */
export interface Sandbox {
  /** The API server's URL (`https://127.0.0.1:<port>`). */
  readonly url: string;
  /** The kubeconfig written for the user. */
  readonly kubeconfigPath: string;
  readonly nodes: readonly SandboxNode[];
  /** The LoadBalancer pool (local provider), as given. */
  readonly pool: string;
  /** kube-proxy's health port on every node. */
  readonly healthzPort: number;
  /** The provider the manager runs. */
  readonly provider: string;
  /** The manager's HTTPS base URL, when {@link SandboxOptions.managerSecurePort} asked for it. */
  readonly managerUrl: string | undefined;
  /** An in-process client of the simulated API (as an administrator). */
  readonly kube: KubeClient;
  /** Simulated kube-proxies: the node ports they answer. */
  readonly proxies: SimulatedNodeProxies;
  /** Resolves with the manager's exit code when it stops (by itself, or after {@link Sandbox.close}). */
  readonly managerExit: Promise<number>;
  /** Stops everything and removes what was written; idempotent. */
  close(): Promise<void>;
}

const DEFAULTS = {
  nodes: 3,
  nodeSubnet: '127.0.50',
  pool: '127.0.100.0/24',
  apiserverAddress: '127.0.0.1',
  apiserverPort: 0,
  healthzPort: 10256,
  startTimeoutMs: 60_000,
} as const;

/** Namespaces a cluster starts with (kube-apiserver's system namespaces and `default`). */
const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
/** The manager's main Lease (upstream defaults of --leader-elect-resource-namespace/-name). */
const MANAGER_LEASE = { namespace: 'kube-system', name: 'cloud-controller-manager' };

/** Uniform [0, 1) from node:crypto, for informers' jitter (core code takes randomness injected). */
export function cryptoRandom(): number {
  return (getRandomValues(new Uint32Array(1))[0] ?? 0) / 2 ** 32;
}

/**
 * The local provider's cloud config for the sandbox (YAML is a superset of JSON). Probes get 3 s
 * (the provider's default is 1 s): on a busy laptop a slow answer from a simulated kube-proxy in
 * this very process must not take a node out of rotation.
 */
function localCloudConfig(pool: string, healthzPort: number): string {
  return `${JSON.stringify({ pools: [{ name: 'sandbox', ranges: [pool], avoidBuggyIPs: true }], healthCheck: { kubeProxyPort: healthzPort, timeoutMs: 3_000 } }, null, 2)}\n`;
}

async function ensureNamespaces(kube: KubeClient): Promise<void> {
  const namespaces = kube.resource<Namespace>(NAMESPACES);
  for (const name of SYSTEM_NAMESPACES) {
    try {
      await namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    } catch (err) {
      // The simulated API may already serve them (as kube-apiserver creates them at start).
      if (!(err instanceof KubeApiError && err.status === 409)) throw err;
    }
  }
}

/** The simulated API's half of a sandbox: what the rest of it needs from an API server. */
interface SandboxApi {
  readonly url: string;
  /** A client with this user agent. */
  clientFor(userAgent: string): KubeClient;
  /** The manager's kubeconfig (written by now). */
  readonly managerKubeconfig: string;
  /** The user's kubeconfig text, to write at `kubeconfigOut`, and the token it holds. */
  readonly writeKubeconfig: { readonly text: string; readonly token: string } | undefined;
}

/**
 * Serves a new simulated API server over HTTPS (fresh CA, random token) and writes the manager's
 * kubeconfig; pushes what to close onto `cleanups`.
 */
async function startSimulatedApi(o: { readonly apiserverAddress: string; readonly apiserverPort: number }, clock: Clock, cleanups: (() => Promise<void>)[], managerKubeconfig: string): Promise<SandboxApi> {
  // A cluster's namespaces: the system ones exist, a write into a missing one is refused.
  const sim = new SimulatedApiServer({ clock, namespaceLifecycle: true });
  const token = randomBytes(24).toString('base64url');
  const certs = await sandboxCertificates(o.apiserverAddress, clock);
  let face: HttpApiServer;
  try {
    face = await HttpApiServer.start({ server: sim, host: o.apiserverAddress, port: o.apiserverPort, token, tls: { cert: certs.cert, key: certs.key, ca: certs.caCert } });
  } catch (err) {
    throw listenError(o.apiserverPort === 0 ? '--apiserver-address' : '--apiserver-port', `${o.apiserverAddress}:${o.apiserverPort}`, err);
  }
  cleanups.push(() => face.close());
  const kubeconfig = face.kubeconfig({ name: 'outrigger-sandbox' });
  await writeFile(managerKubeconfig, kubeconfig, { mode: 0o600 });
  return { url: face.url, clientFor: (userAgent) => sim.client({ userAgent }), managerKubeconfig, writeKubeconfig: { text: kubeconfig, token } };
}

/**
 * Creates the missing folders above `file`, one level at a time: Node's recursive mkdir never
 * settles on some pseudo file systems (`/proc/x/y` on Linux), where a single mkdir fails at once.
 */
async function makeParents(file: string): Promise<void> {
  const missing: string[] = [];
  for (let dir = dirname(file); !existsSync(dir) && dirname(dir) !== dir; dir = dirname(dir)) missing.unshift(dir);
  for (const dir of missing) await mkdir(dir);
}

/** Resolves when `host:port` can be bound (it is bound and released at once). */
function portIsFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** What a failure to listen means for the user: the flag whose value is taken. */
function listenError(flag: string, value: string, err: unknown, hint = ''): SandboxInputError {
  const code = (err as { code?: unknown } | null)?.code ?? (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  const why = code === 'EADDRINUSE' ? `already in use${hint}` : code === 'EADDRNOTAVAIL' ? 'not an address of this host' : errorMessage(err);
  return new SandboxInputError(flag, `${flag}: ${value}: ${why}`, { cause: err });
}

/**
 * Starts a sandbox; resolves once the manager holds its Lease (its controllers are running).
 *
 * @throws SandboxInputError for bad input (a flag's value, a taken address or port, an existing
 *   kubeconfig) — after closing whatever it had opened.
 * @example
 * ```ts
 * const sandbox = await startSandbox({ kubeconfigOut: '/tmp/sandbox.kubeconfig' });
 * // KUBECONFIG=/tmp/sandbox.kubeconfig kubectl get nodes
 * await sandbox.close();
 * ```
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const o = { ...DEFAULTS, ...options };
  const clock = options.clock ?? new RealClock();
  const log = options.log ?? (() => {});
  const addresses = validateSandboxAddresses({ nodes: o.nodes, nodeSubnet: o.nodeSubnet, pool: o.pool, apiserverAddress: o.apiserverAddress, local: options.cloudProvider === undefined });
  if (options.cluster === undefined && options.kubeconfigOut === undefined) throw new TypeError('startSandbox: kubeconfigOut is required without cluster');
  const kubeconfigPath = resolve(options.cluster?.kubeconfig ?? options.kubeconfigOut ?? '');
  if (options.cluster === undefined && existsSync(kubeconfigPath) && options.force !== true) {
    throw new SandboxInputError('--kubeconfig-out', `--kubeconfig-out: ${kubeconfigPath} exists (another sandbox running? remove it, or pass --force to overwrite it)`);
  }
  if (options.cloudProvider === undefined && (options.providerModules?.length ?? 0) > 0) {
    throw new SandboxInputError('--cloud-provider', '--cloud-provider: name the provider your --provider-module registers');
  }

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((err: unknown) => log(`sandbox: cleaning up: ${errorMessage(err)}\n`));
  };
  try {
    const work = await mkdtemp(join(tmpdir(), 'outrigger-sandbox-'));
    cleanups.push(() => rm(work, { recursive: true, force: true }));
    const cluster = options.cluster;
    const api: SandboxApi =
      cluster === undefined
        ? await startSimulatedApi(o, clock, cleanups, join(work, 'manager.kubeconfig'))
        : { url: cluster.url, clientFor: () => cluster.kube, managerKubeconfig: cluster.kubeconfig, writeKubeconfig: undefined };
    if (options.managerSecurePort !== undefined) {
      // The manager binds it later and would fail with exit 1 and a log line; say which flag now.
      await portIsFree(o.apiserverAddress, options.managerSecurePort).catch((err: unknown) => {
        throw listenError('--manager-secure-port', `${o.apiserverAddress}:${options.managerSecurePort ?? 0}`, err);
      });
    }
    const kube = api.clientFor('outrigger-sandbox');
    await ensureNamespaces(kube);

    const nodes = addresses.nodes;
    let proxies: SimulatedNodeProxies;
    try {
      proxies = await startSimulatedNodeProxies({ nodes, healthzPort: o.healthzPort, services: api.clientFor('kube-proxy/sandbox').services, clock, random: cryptoRandom, log });
    } catch (err) {
      // The listener's message names the address it could not bind ("cannot listen on A:P: …").
      const where = (err instanceof Error ? /cannot listen on (\S+?):\s/.exec(err.message)?.[1] : undefined) ?? `${o.nodeSubnet}.*:${o.healthzPort}`;
      // Most likely another sandbox on the same node addresses: say which flags move this one.
      throw listenError(o.healthzPort === 0 ? '--node-subnet' : '--kube-proxy-healthz-port', where, err, ' (another sandbox? choose another --node-subnet)');
    }
    cleanups.push(() => proxies.close());
    const kubelets: SimulatedKubelets = await startSimulatedKubelets({ nodes, kubeFor: (n) => api.clientFor(`kubelet/${SIMULATED_KUBELET_VERSION} (linux/${n.name})`), clock, log });
    cleanups.push(() => kubelets.stop());

    const managerKubeconfig = api.managerKubeconfig;
    if (api.writeKubeconfig !== undefined) {
      const { text, token } = api.writeKubeconfig;
      try {
        await makeParents(kubeconfigPath);
        // The mode of open() only applies to a new file: a file --force writes over keeps its own
        // (often 0644), so it is narrowed before the token goes in.
        const file = await open(kubeconfigPath, options.force === true ? 'w' : 'wx', 0o600);
        try {
          await file.chmod(0o600);
          await file.writeFile(text);
        } finally {
          await file.close();
        }
      } catch (err) {
        throw new SandboxInputError('--kubeconfig-out', `--kubeconfig-out: cannot write ${kubeconfigPath}: ${errorMessage(err)}`, { cause: err });
      }
      // Removed at the end unless it no longer holds our token (another sandbox took it over with --force).
      cleanups.push(async () => {
        const now = await readFile(kubeconfigPath, 'utf8').catch(() => '');
        if (now.includes(token)) await rm(kubeconfigPath, { force: true });
      });
    }

    // The real manager, as `outrigger run` runs it, against the sandbox over HTTPS.
    const registry = new ProviderRegistry();
    const localProviders: LocalCloudProvider[] = [];
    registerLocalProvider(registry, { clock, onCreate: (p) => localProviders.push(p) });
    registerBuiltinProviders(registry, { clock });
    let providerArgs: string[];
    if (options.cloudProvider === undefined) {
      const cloudConfig = join(work, 'cloud-config.yaml');
      await writeFile(cloudConfig, localCloudConfig(o.pool, proxies.healthzPort), { mode: 0o600 });
      providerArgs = ['--cloud-provider=local', `--cloud-config=${cloudConfig}`, '--configure-cloud-routes=false'];
    } else {
      providerArgs = [
        ...(options.providerModules ?? []).map((m) => `--provider-module=${m}`),
        `--cloud-provider=${options.cloudProvider}`,
        ...(options.cloudConfig === undefined ? [] : [`--cloud-config=${options.cloudConfig}`]),
      ];
    }
    const stopManager = new AbortController();
    // The last lines are kept to say why a manager that ends at start-up ended.
    const recent: string[] = [];
    const managerLog = (text: string): void => {
      recent.push(text);
      if (recent.length > 20) recent.shift();
      options.managerLog?.(text);
    };
    const managerExit = runCloudControllerManager({
      argv: [
        ...providerArgs,
        `--kubeconfig=${managerKubeconfig}`,
        // Its /healthz and /metrics, authenticated and authorised by the sandbox's API (TokenReview,
        // SubjectAccessReview), as a CCM delegates to its apiserver; off unless asked for.
        ...(options.managerSecurePort === undefined
          ? ['--secure-port=0']
          : [`--secure-port=${options.managerSecurePort}`, `--bind-address=${o.apiserverAddress}`, `--authentication-kubeconfig=${managerKubeconfig}`, `--authorization-kubeconfig=${managerKubeconfig}`]),
        ...(options.verbosity === undefined ? [] : [`--v=${options.verbosity}`]),
      ],
      commandName: 'outrigger sandbox',
      registry,
      env: {},
      stdout: { write: managerLog },
      stderr: { write: managerLog },
      signal: stopManager.signal,
      handleSignals: false,
      clock,
      identity: `outrigger-sandbox_${randomUUID()}`,
    });
    cleanups.push(async () => {
      stopManager.abort(new Error('sandbox stopping'));
      await managerExit;
      // The manager's stop aborts the provider; wait for its listeners to be closed, too.
      await Promise.all(localProviders.map((p) => p.shutdown()));
    });

    // Started once the manager holds its Lease, or failed if it ended before (bad provider config).
    const ended = new AbortController();
    const exited = managerExit.then((code) => {
      ended.abort();
      return code;
    });
    const leader = await waitForObjects<Lease>({
      client: kube.leases,
      namespace: MANAGER_LEASE.namespace,
      clock,
      random: cryptoRandom,
      timeoutMs: o.startTimeoutMs,
      signal: ended.signal,
      done: (leases) => leases.some((l) => l.metadata?.name === MANAGER_LEASE.name && (l.spec?.holderIdentity ?? '') !== ''),
    });
    if (leader === undefined) {
      if (ended.signal.aborted) {
        const code = await exited;
        const why = recent.findLast((l) => /^(Error|E\d{4} )/.test(l))?.trim() ?? recent.at(-1)?.trim() ?? 'no message';
        const error = `the cloud-controller-manager exited ${code} at start-up: ${why}`;
        if (code === 2) throw new SandboxInputError(options.cloudProvider === undefined ? '--pool' : '--cloud-provider', error);
        throw new Error(error);
      }
      throw new Error(`the cloud-controller-manager did not become leader within ${o.startTimeoutMs} ms`);
    }

    let closing: Promise<void> | undefined;
    return {
      url: api.url,
      kubeconfigPath,
      nodes,
      pool: o.pool,
      healthzPort: proxies.healthzPort,
      provider: options.cloudProvider ?? 'local',
      managerUrl: options.managerSecurePort === undefined ? undefined : `https://${o.apiserverAddress.includes(':') ? `[${o.apiserverAddress}]` : o.apiserverAddress}:${options.managerSecurePort}`,
      kube,
      proxies,
      managerExit,
      close: () => (closing ??= cleanup()),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
