/**
 * The lab's API host: the simulated API served over HTTP on this host's lab address (inside its
 * network namespace, where the managers on the LB hosts reach it), driven over IPC by the test.
 * Requests: `create` (any object: a Node or a Service), `get` (a Service), `delete` (a Service).
 * Usage: node --import tsx api-host.ts <listen-ip> <kubeconfig-path>
 *
 * @module
 */
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { SimulatedApiServer } from '../../src/kube/memory/index.js';
import { HttpApiServer } from '../../src/kube/memory/http/index.js';
import { serveOps } from './serve-ops.js';
import type { OpHandlers } from './serve-ops.js';

const [host, kubeconfig] = process.argv.slice(2);
if (host === undefined || kubeconfig === undefined) throw new Error('usage: api-host.ts <listen-ip> <kubeconfig-path>');
const api = new SimulatedApiServer();
const http = await HttpApiServer.start({ server: api, host });
// No SubjectAccessReview evaluation here: answer as for a caller without RBAC rights.
const denied = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', metadata: {}, spec: {}, status: { allowed: false, reason: 'no RBAC rule' } };
http.faults.inject({
  method: 'POST',
  pathPrefix: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
  times: Infinity,
  action: { kind: 'respond', status: 201, headers: { 'content-type': 'application/json' }, body: JSON.stringify(denied) },
});
await http.writeKubeconfig(kubeconfig);
const kube = api.client();

const handlers: OpHandlers = {
  async createNode({ node }) {
    await kube.nodes.create(node as Node);
    return true;
  },
  async createService({ service }) {
    await kube.services.create(service as Service);
    return true;
  },
  getService({ name }) {
    return kube.services.get({ namespace: 'default', name: String(name) });
  },
  async deleteService({ name }) {
    await kube.services.delete({ namespace: 'default', name: String(name) });
    return true;
  },
  async lease() {
    const leases = await kube.leases.list({});
    return leases.items.map((l) => ({ name: l.metadata?.name, holder: l.spec?.holderIdentity }));
  },
};

serveOps(handlers);
process.on('disconnect', () => void http.close().finally(() => process.exit(0)));
process.send?.({ ready: true });
