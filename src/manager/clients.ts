/**
 * The manager's API clients: one per identity (the root connection, the shared informers', each
 * controller's, the delegated-auth reviews'), and the provider's ClientBuilder. With
 * `--use-service-account-credentials` each controller's client authenticates as its own service
 * account, as upstream's `clientbuilder.SAControllerClientBuilder`.
 *
 * @module
 */
import type { BearerTokenSource } from '../kube/client-node/index.js';
// The client-node adapter (and `@kubernetes/client-node` under it, ~70 MB of RSS) is loaded only
// when a real cluster is used: the simulator and tests hand in their own clients.
import type { createKubeClient as CreateKubeClient } from '../kube/client-node/create-kube-client.js';
import type { KubeClient } from '../kube/client.js';
import type { Clock } from '../kube/clock.js';
import { fencedClient } from '../kube/write-fence.js';
import type { WriteFence } from '../kube/write-fence.js';
import type { Logger } from '../log/logger.js';
import { CCM_USER_AGENT, MANAGED_CONTROLLERS, userAgentFor } from './controllers.js';
import { lazyKubeClient } from './lazy-kube-client.js';
import type { ManagerMetrics } from './metrics/index.js';
import type { ManagerOptions } from './options/manager-options.js';
import { ServiceAccountTokenSource } from './service-account-credentials.js';

/** A client the manager holds: closable and with a server URL when it talks HTTP. */
export type ManagedClient = KubeClient & { readonly server?: string; close?(): void };

/** Client name of the delegated-auth reviews when a separate kubeconfig is given. */
export const AUTH_CLIENT = 'delegated-auth';

/** The clients {@link buildClients} makes. */
export interface ManagerClients {
  /** The manager's own connection (leader election, events). */
  readonly root: ManagedClient;
  /** Every other client by name, including those the provider asked for; shutdown closes them all. */
  readonly clients: Map<string, ManagedClient>;
  /** The provider's ClientBuilder: a client per name, built on first use. */
  readonly clientFor: (name: string) => KubeClient;
}

/** The real-cluster adapter, loaded on first use (see the import note at the top). */
async function loadClientNode(): Promise<{ createKubeClient: typeof CreateKubeClient }> {
  return import('../kube/client-node/create-kube-client.js');
}

/** Builds a client per identity: the root one, the informers' and each controller's. */
export async function buildClients(
  o: ManagerOptions,
  env: Readonly<Record<string, string | undefined>>,
  clock: Clock,
  metrics: ManagerMetrics,
  extraNames: readonly string[],
  logger: Logger,
  kubeClientFor: ((userAgent: string) => KubeClient) | undefined,
  fence: WriteFence,
): Promise<ManagerClients> {
  const make = async (userAgent: string, bearerToken?: BearerTokenSource): Promise<ManagedClient> => {
    if (kubeClientFor !== undefined) return kubeClientFor(userAgent);
    const { createKubeClient } = await loadClientNode();
    return createKubeClient({
      ...(o.kubeconfig === '' ? {} : { kubeconfig: o.kubeconfig }),
      ...(o.master === '' ? {} : { master: o.master }),
      env,
      qps: o.kubeApiQps,
      burst: o.kubeApiBurst,
      userAgent,
      clock,
      metrics: metrics.restClient,
      ...(bearerToken === undefined ? {} : { bearerToken }),
    });
  };
  const root = await make(CCM_USER_AGENT);
  const clients = new Map<string, ManagedClient>();
  // As upstream: the informers always use the root credentials; with
  // --use-service-account-credentials every controller (and the provider) gets its own service account.
  clients.set('shared-informers', await make(userAgentFor('shared-informers')));
  if (o.useServiceAccountCredentials && kubeClientFor !== undefined) logger.warning('--use-service-account-credentials has no effect on injected (simulated) clients');
  // The ServiceAccounts, Namespace and TokenRequests it creates are writes like any other: only
  // while the Lease is held (a standby never needs a controller's token).
  const tokensFor = (name: string): ServiceAccountTokenSource | undefined =>
    o.useServiceAccountCredentials && kubeClientFor === undefined ? new ServiceAccountTokenSource({ client: fencedClient(root, fence), name, clock, logger: logger.withName('service-account-credentials') }) : undefined;
  const perController = new Set([...MANAGED_CONTROLLERS.map((c) => c.clientName), ...extraNames]);
  for (const name of perController) clients.set(name, await make(userAgentFor(name), tokensFor(name)));
  // Names a provider asks its ClientBuilder for: each gets its own user agent (and service
  // account), built on first use and kept in `clients` so shutdown closes it.
  // One lazy client per name, so repeated or concurrent asks build (and later close) one client
  // and share one token source.
  const lazy = new Map<string, KubeClient>();
  const clientFor = (name: string): KubeClient => {
    const known = clients.get(name) ?? lazy.get(name);
    if (known !== undefined) return known;
    const client = lazyKubeClient(async () => {
      const made = await make(userAgentFor(name), tokensFor(name));
      clients.set(name, made);
      return made;
    });
    lazy.set(name, client);
    return client;
  };
  // Delegated auth reviews go to --authorization-kubeconfig (else --authentication-kubeconfig,
  // else the main connection); one client serves both reviews.
  const authKubeconfig = o.authorizationKubeconfig !== '' ? o.authorizationKubeconfig : o.authenticationKubeconfig;
  if (authKubeconfig !== '' && kubeClientFor === undefined) {
    const { createKubeClient } = await loadClientNode();
    const kubeconfigFlag = o.authorizationKubeconfig !== '' ? '--authorization-kubeconfig' : '--authentication-kubeconfig';
    clients.set(AUTH_CLIENT, await createKubeClient({ kubeconfig: authKubeconfig, kubeconfigFlag, env, userAgent: userAgentFor(AUTH_CLIENT), clock, metrics: metrics.restClient }));
  }
  return { root, clients, clientFor };
}

