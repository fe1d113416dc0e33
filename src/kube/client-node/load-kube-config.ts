/**
 * Finds and validates the Kubernetes client configuration: `--kubeconfig`, `--master`,
 * `$KUBECONFIG`, the in-cluster service account or `~/.kube/config`, in the order client-go's
 * `BuildConfigFromFlags` and default loading rules use — and, unlike client-node's
 * `loadFromDefault`, never a silent fallback to `http://localhost:8080`.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Cluster, Context, User } from '@kubernetes/client-node';
import type { Clock } from '../clock.js';
import { KubeConfigError } from './kube-config-error.js';
import { readKubeconfigFile, resolveCredentialFiles, TokenFileAuthenticator } from './kubeconfig-files.js';

/** Where to look for the configuration. */
export interface KubeConfigSource {
  /** `--kubeconfig`: a kubeconfig file; takes precedence over everything else. */
  readonly kubeconfig?: string;
  /** The flag that named `kubeconfig`, for messages (default `--kubeconfig`; e.g. `--authorization-kubeconfig`). */
  readonly kubeconfigFlag?: string;
  /** `--master`: overrides the server of the kubeconfig, or is used alone (no credentials). */
  readonly master?: string;
  /** `--context`: the kubeconfig context to use instead of its current-context. */
  readonly context?: string;
  /** Environment (default `process.env`): `KUBECONFIG`, `KUBERNETES_SERVICE_HOST/PORT`, `HOME`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Prefix of the service-account files, for tests (default ''). */
  readonly inClusterPathPrefix?: string;
  /** Paces the re-reading of token files (default: wall clock). */
  readonly clock?: Clock;
}

/** A validated configuration. */
export interface LoadedKubeConfig {
  readonly kubeConfig: KubeConfig;
  /** Human-readable origin, used in error messages: `kubeconfig /path (context "x")`. */
  readonly source: string;
  /** The kubeconfig file(s) involved, if any. */
  readonly files: readonly string[];
  readonly contextName: string;
  /** The API server URL. */
  readonly server: URL;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

function errorText(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err);
}

function loadFile(kc: KubeConfig, file: string, via: string, tokens: TokenFileAuthenticator): void {
  // Read and parsed the bounded way (regular file, 4 MiB, YAML limits); client-node only maps
  // the sanitised document, and nothing it does reads a file afterwards.
  const { json } = readKubeconfigFile(file, via, tokens);
  try {
    kc.loadFromString(json);
    kc.makePathsAbsolute(dirname(file));
  } catch (err) {
    throw new KubeConfigError(`kubeconfig file ${file} (from ${via}) is malformed: ${errorText(err)}; check it with \`kubectl config view --kubeconfig ${file}\``, {
      file,
      cause: err,
    });
  }
  // client-node leaves the lists undefined for a file without them (or an empty file).
  if (!Array.isArray(kc.clusters) || !Array.isArray(kc.contexts) || !Array.isArray(kc.users)) {
    throw new KubeConfigError(`kubeconfig file ${file} (from ${via}) is malformed: it needs clusters, users and contexts lists`, { file });
  }
}

function parseServer(raw: string, where: string, options: { file?: string; context?: string }): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (err) {
    throw new KubeConfigError(`${where}: server ${JSON.stringify(raw)} is not a URL; use https://host:port`, { ...options, server: raw, cause: err });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KubeConfigError(`${where}: server ${raw} must use http or https`, { ...options, server: raw });
  }
  return url;
}

function inCluster(kc: KubeConfig, env: Readonly<Record<string, string | undefined>>, prefix: string, tokens: TokenFileAuthenticator): void {
  const host = env['KUBERNETES_SERVICE_HOST'] ?? '';
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '';
  const tokenFile = `${prefix}${SA_DIR}/token`;
  if (!existsSync(tokenFile)) {
    throw new KubeConfigError(
      `in-cluster configuration (KUBERNETES_SERVICE_HOST=${host}) has no service account token at ${tokenFile}: mount the service account token or pass --kubeconfig`,
      { file: tokenFile },
    );
  }
  // Built here rather than with loadFromCluster(), which reads process.env itself; the token
  // file authenticator re-reads the rotating token every minute, as client-go does.
  const bracketed = host.includes(':') ? `[${host}]` : host;
  // As client-go's InClusterConfig: without ca.crt the system roots verify the server.
  const caFile = `${prefix}${SA_DIR}/ca.crt`;
  const cluster: Cluster = { name: 'inCluster', server: `https://${bracketed}:${port}`, ...(existsSync(caFile) ? { caFile } : {}), skipTLSVerify: false };
  tokens.add('inClusterUser', { path: tokenFile, fallbackToken: undefined, where: 'in-cluster service account token' });
  const user: User = { name: 'inClusterUser', authProvider: { name: 'outrigger-token-file', config: {} } };
  const context: Context = { name: 'inClusterContext', cluster: cluster.name, user: user.name };
  kc.loadFromOptions({ clusters: [cluster], users: [user], contexts: [context], currentContext: context.name });
}

/**
 * Loads the configuration. Order (client-go): `--kubeconfig`; else with `--master` alone, the
 * master URL without credentials; else in-cluster when `KUBERNETES_SERVICE_HOST` is set; else
 * `$KUBECONFIG` (files merged, first wins); else `~/.kube/config`; else a {@link KubeConfigError}.
 * `--master` overrides the server of whichever kubeconfig was loaded.
 */
export function loadKubeConfig(source: KubeConfigSource = {}): LoadedKubeConfig {
  const env = source.env ?? process.env;
  const kc = new KubeConfig();
  // Token files (kubeconfig `tokenFile`, the in-cluster token): bounded reads, re-read every minute.
  const tokens = new TokenFileAuthenticator(source.clock);
  kc.addAuthenticator(tokens);
  let origin: string;
  let files: string[] = [];
  const envFiles = (env['KUBECONFIG'] ?? '').split(delimiter).filter((f) => f !== '');
  const home = env['HOME'];
  const homeConfig = home === undefined || home === '' ? undefined : join(home, '.kube', 'config');
  if (source.kubeconfig !== undefined && source.kubeconfig !== '') {
    loadFile(kc, source.kubeconfig, source.kubeconfigFlag ?? '--kubeconfig', tokens);
    files = [source.kubeconfig];
    origin = `kubeconfig ${source.kubeconfig}`;
  } else if (source.master !== undefined && source.master !== '') {
    const server = parseServer(source.master, '--master', {});
    kc.loadFromClusterAndUser({ name: 'master', server: server.toString().replace(/\/$/, ''), skipTLSVerify: false }, { name: 'anonymous' });
    origin = `--master ${source.master}`;
  } else if ((env['KUBERNETES_SERVICE_HOST'] ?? '') !== '' && (env['KUBERNETES_SERVICE_PORT'] ?? '') !== '') {
    inCluster(kc, env, source.inClusterPathPrefix ?? '', tokens);
    origin = 'in-cluster service account';
  } else if (envFiles.length > 0) {
    const [first, ...rest] = envFiles as [string, ...string[]];
    loadFile(kc, first, '$KUBECONFIG', tokens);
    for (const file of rest) {
      if (!existsSync(file)) continue; // as client-go: missing files in the list are skipped
      const more = new KubeConfig();
      loadFile(more, file, '$KUBECONFIG', tokens);
      try {
        kc.mergeConfig(more, true);
      } catch (err) {
        throw new KubeConfigError(`$KUBECONFIG: cannot merge ${file}: ${errorText(err)}`, { file, cause: err });
      }
    }
    files = envFiles;
    origin = `$KUBECONFIG (${envFiles.join(delimiter)})`;
  } else if (homeConfig !== undefined && existsSync(homeConfig)) {
    loadFile(kc, homeConfig, 'the default location', tokens);
    files = [homeConfig];
    origin = `kubeconfig ${homeConfig}`;
  } else {
    throw new KubeConfigError(
      'no Kubernetes API server configured: pass --kubeconfig=<file> or --master=<url>, set $KUBECONFIG, or run inside a cluster ' +
        '(Outrigger never falls back to http://localhost:8080)',
    );
  }
  const file = files[0];
  const fileOpt = file === undefined ? {} : { file };
  if (source.context !== undefined && source.context !== '') {
    if (kc.getContextObject(source.context) === null) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeConfigError(
        `${origin}: context ${JSON.stringify(source.context)} does not exist; known contexts: ${known.length === 0 ? '(none)' : known.join(', ')}`,
        { ...fileOpt, context: source.context },
      );
    }
    kc.setCurrentContext(source.context);
  }
  const contextName = kc.getCurrentContext();
  if (contextName === undefined || contextName === '' || kc.getContextObject(contextName) === null) {
    throw new KubeConfigError(
      contextName === undefined || contextName === ''
        ? `${origin}: no current-context; pass --context or set one with \`kubectl config use-context\``
        : `${origin}: current-context ${JSON.stringify(contextName)} does not exist; pass --context or fix current-context`,
      { ...fileOpt, ...(contextName === undefined || contextName === '' ? {} : { context: contextName }) },
    );
  }
  const where = `${origin} (context ${JSON.stringify(contextName)})`;
  const cluster = kc.getCurrentCluster();
  if (cluster === null) {
    throw new KubeConfigError(`${where}: the context's cluster is not defined in the kubeconfig`, { ...fileOpt, context: contextName });
  }
  if (source.master !== undefined && source.master !== '' && files.length > 0) {
    // As client-go's ConfigOverrides: --master replaces the server of the selected cluster.
    const server = parseServer(source.master, '--master', { ...fileOpt, context: contextName });
    const clusters = kc.clusters.map((c) => (c.name === cluster.name ? { ...c, server: server.toString().replace(/\/$/, '') } : c));
    kc.loadFromOptions({ clusters, users: kc.users, contexts: kc.contexts, currentContext: contextName });
  }
  const server = parseServer(kc.getCurrentCluster()?.server ?? '', where, { ...fileOpt, context: contextName });
  // The CA, client certificate and key, and token files of what is actually used: read now,
  // bounded, and checked (a CA that holds no certificate is named here, not blamed later on the
  // server's certificate).
  resolveCredentialFiles(kc, { where, file, context: contextName, tokens });
  return { kubeConfig: kc, source: where, files, contextName, server };
}
