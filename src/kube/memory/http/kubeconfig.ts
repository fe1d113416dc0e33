/**
 * Kubeconfig text for the simulated API's HTTP face (a test double), so that the adapter, the
 * manager and kubectl can be pointed at it like at any cluster.
 *
 * @module
 */

/** Options of {@link kubeconfigFor}. */
export interface KubeconfigOptions {
  /** Name used for the cluster, user and context (default `outrigger-simulated`). */
  readonly name?: string;
  /** Bearer token the user presents (default `simulated`; the face checks it only when told to). */
  readonly token?: string;
  /** Default namespace of the context. */
  readonly namespace?: string;
  /** Base64 PEM of the CA that signed the server certificate (HTTPS faces). */
  readonly caData?: string;
}

/** JSON-quotes a scalar: JSON strings are valid YAML flow scalars, so no escaping rules of our own. */
function q(value: string): string {
  return JSON.stringify(value);
}

/** A kubeconfig (YAML) with one cluster, user and context pointing at `server`. */
export function kubeconfigFor(server: string, options: KubeconfigOptions = {}): string {
  const name = options.name ?? 'outrigger-simulated';
  const lines = [
    '# Points at an Outrigger simulated API server (a test double on loopback).',
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${q(name)}`,
    '  cluster:',
    `    server: ${q(server)}`,
    ...(options.caData === undefined ? [] : [`    certificate-authority-data: ${q(options.caData)}`]),
    'users:',
    `- name: ${q(name)}`,
    '  user:',
    `    token: ${q(options.token ?? 'simulated')}`,
    'contexts:',
    `- name: ${q(name)}`,
    '  context:',
    `    cluster: ${q(name)}`,
    `    user: ${q(name)}`,
    ...(options.namespace === undefined ? [] : [`    namespace: ${q(options.namespace)}`]),
    `current-context: ${q(name)}`,
    '',
  ];
  return lines.join('\n');
}
