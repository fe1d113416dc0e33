/**
 * A stand-in for kube-proxy on each simulated node of the local demo: on the node's InternalIP it
 * answers every Service's NodePort (an HTTP "hello from <node> via <service>") and serves
 * kube-proxy's health endpoint `GET /healthz`, which the local provider probes. A test double
 * and demo prop, not a proxy: there are no pods behind it.
 *
 * @module
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** A simulated node: its name and its InternalIP (a loopback address). */
export interface SimulatedNode {
  readonly name: string;
  readonly address: string;
}

/** A Service the simulated kube-proxies answer for; `nodePort` 0 or absent picks a free port. */
export interface SimulatedNodePortService {
  readonly name: string;
  readonly nodePort?: number;
}

/** Options of {@link startSimulatedKubeProxies}. */
export interface SimulatedKubeProxiesOptions {
  readonly nodes: readonly SimulatedNode[];
  readonly services: readonly SimulatedNodePortService[];
  /** kube-proxy's health port (upstream 10256); 0 or absent picks a free port. */
  readonly healthPort?: number;
}

/** Running simulated kube-proxies: the ports they chose, and how to stop them. */
export interface SimulatedKubeProxies {
  readonly healthPort: number;
  /** Service name → the NodePort every node answers on. */
  readonly nodePorts: ReadonlyMap<string, number>;
  /** Listening servers (for leak checks). */
  listening(): number;
  /** Closes every listener and connection. */
  close(): Promise<void>;
}

/** Listens on `host:port` (exclusively); resolves with the bound port, rejects naming the address. */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(new Error(`simulated kube-proxy: cannot listen on ${host}:${port}: ${err.message}`, { cause: err }));
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

/** Stops listening and drops open connections; resolves at once for a server that is not listening. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    // Keep-alive connections from curl or the load balancer would hold close() open.
    server.closeAllConnections();
  });
}

/** The echo backend behind a NodePort: answers every request with `hello from <node> via <service>`. */
export function helloServer(node: string, service: string): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`hello from ${node} via ${service}\n`);
  });
}

/** kube-proxy's health endpoint (`GET /healthz`, upstream port 10256). */
export function healthServer(): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    // As kube-proxy: 200 on /healthz while it is up (no pods to be unhealthy about).
    if (req.url === '/healthz' || req.url?.startsWith('/healthz?') === true) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"healthy":true}\n');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
}

/**
 * Starts one health listener and one NodePort listener per Service on every node's address. A
 * port given as 0 is chosen by the first node's bind (a free ephemeral port) and reused on the
 * others, since a NodePort is the same on every node.
 *
 * @example
 * ```ts
 * const proxies = await startSimulatedKubeProxies({ nodes: [{ name: 'node-0', address: '127.0.50.1' }], services: [{ name: 'web' }] });
 * // curl http://127.0.50.1:${proxies.nodePorts.get('web')}/  → hello from node-0 via web
 * await proxies.close();
 * ```
 */
export async function startSimulatedKubeProxies(options: SimulatedKubeProxiesOptions): Promise<SimulatedKubeProxies> {
  const servers: Server[] = [];
  const nodePorts = new Map<string, number>();
  let healthPort = options.healthPort ?? 0;
  try {
    for (const node of options.nodes) {
      const health = healthServer();
      servers.push(health);
      healthPort = await listen(health, node.address, healthPort);
      for (const svc of options.services) {
        const server = helloServer(node.name, svc.name);
        servers.push(server);
        nodePorts.set(svc.name, await listen(server, node.address, nodePorts.get(svc.name) ?? svc.nodePort ?? 0));
      }
    }
  } catch (err) {
    await Promise.all(servers.map(close));
    throw err;
  }
  return {
    healthPort,
    nodePorts,
    listening: () => servers.filter((s) => s.listening).length,
    close: async () => {
      await Promise.all(servers.map(close));
    },
  };
}
