/**
 * A load-balancer host of the lab: the local provider in this process (inside the host's network
 * namespace), its Services in an in-process simulated API, driven over IPC by the test. Requests:
 * `init` (config YAML, state file), `create` (a Service in the simulated API), `initialize`,
 * `ensure`, `delete`, `stop`, `addresses`, `exit`.
 *
 * @module
 */
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { SimulatedApiServer } from '../../src/kube/memory/index.js';
import { createLogger } from '../../src/log/logger.js';
import { LocalCloudProvider, parseLocalConfig } from '../../src/providers/local/index.js';
import { serveOps } from './serve-ops.js';
import type { OpHandlers } from './serve-ops.js';

let provider: LocalCloudProvider | undefined;
let leading: AbortController | undefined;
const api = new SimulatedApiServer();
const logLines: string[] = [];
const logger = createLogger((record) => {
  const err = record.err instanceof Error ? ` err=${record.err.message}` : '';
  const line = `${record.level} ${record.msg} ${JSON.stringify(record.values)}${err}`;
  logLines.push(line);
  process.stderr.write(`${line}\n`);
});

function need(): LocalCloudProvider {
  if (provider === undefined) throw new Error('init first');
  return provider;
}

const handlers: OpHandlers = {
  init({ config }) {
    provider = new LocalCloudProvider({ config: parseLocalConfig(String(config), 'local.yaml'), logger });
    return true;
  },
  async create({ service }) {
    await api.client().services.create(service as Service);
    return true;
  },
  async initialize() {
    leading = new AbortController();
    await need().initialize({ signal: leading.signal, logger, clientBuilder: { client: () => api.client() } });
    return true;
  },
  ensure({ service, nodes }) {
    return need().localLoadBalancer.ensureLoadBalancer('kubernetes', service as Service, nodes as Node[]);
  },
  async delete({ service }) {
    await need().localLoadBalancer.ensureLoadBalancerDeleted('kubernetes', service as Service);
    return true;
  },
  async stop() {
    leading?.abort();
    await need().shutdown();
    return true;
  },
  addresses() {
    return Object.fromEntries(need().localLoadBalancer.interfaceAddresses());
  },
  async events() {
    return (await api.client().events.list()).items.map((e) => ({ reason: e.reason, type: e.type, message: e.message, object: e.involvedObject?.name }));
  },
  logs() {
    return logLines.join('\n');
  },
  exit({ code }) {
    // Leaves through process.exit: the provider's exit hook must remove what is still on an interface.
    setImmediate(() => process.exit(Number(code ?? 0)));
    return true;
  },
};

serveOps(handlers);
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
