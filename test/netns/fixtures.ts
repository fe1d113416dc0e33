/**
 * Objects and waits shared by the namespace tests.
 *
 * @module
 */
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { Lab } from './lab.js';

/** The TCP nodePort every lab Service uses. */
export const NODE_PORT = 30080;
/** The UDP nodePort (the simulated API gives TCP and UDP distinct ones). */
export const UDP_NODE_PORT = 30081;

/** A LoadBalancer Service with TCP and UDP port 80 on {@link NODE_PORT} and {@link UDP_NODE_PORT}. */
export function lanService(name: string, extra: Partial<Service['spec']> = {}, uid = `uid-${name}`): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', uid, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      type: 'LoadBalancer',
      ports: [
        { name: 'tcp', protocol: 'TCP', port: 80, nodePort: NODE_PORT },
        { name: 'udp', protocol: 'UDP', port: 80, nodePort: UDP_NODE_PORT },
      ],
      ...extra,
    },
  };
}

/** Node objects whose InternalIP is the lab host's address. */
export function labNodes(lab: Lab, names: readonly string[]): Node[] {
  return names.map((n) => ({
    metadata: { name: n },
    status: {
      addresses: [
        { type: 'InternalIP', address: lab.host(n).ip },
        { type: 'InternalIP', address: lab.host(n).ip6 },
      ],
    },
  }));
}

/** Polls `check` every 20 ms (after `refresh`, if given) until it holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000, refresh?: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await refresh?.();
    if (check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

