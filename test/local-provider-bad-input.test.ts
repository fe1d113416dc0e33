/**
 * Bad input to the `local` provider, end to end: the real service controller and the local
 * provider on the simulator, binding real loopback addresses. Each refused Service gets a Warning
 * event naming the address, pool or port; the others keep their load balancers; exhaustion
 * recovers when an address frees up.
 *
 * Addresses used only by this file: pools 127.0.94.0/29 and 127.0.94.8/32, nodes 127.0.95.x.
 */
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario } from '../src/simulation/runner/run-scenario.js';
import type { KubeObject } from '../src/kube/resources.js';
import type { Expectation, ScenarioFile } from '../src/simulation/scenario/scenario-types.js';
import { probeTcp } from './helpers/probe-tcp.js';

function lbService(name: string, o: { namespace?: string; loadBalancerIP?: string; annotations?: Record<string, string>; port?: number } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: o.namespace ?? 'default', ...(o.annotations !== undefined && { annotations: o.annotations }) },
    spec: {
      type: 'LoadBalancer',
      // No nodePort: the API allocates a distinct one per Service, as kube-apiserver does.
      ports: [{ name: 'http', protocol: 'TCP', port: o.port ?? 8080, targetPort: 8080 }],
      ...(o.loadBalancerIP !== undefined && { loadBalancerIP: o.loadBalancerIP }),
    },
  } as KubeObject;
}

function ingress(ip: string): unknown {
  return { status: { loadBalancer: { ingress: [{ ip, ipMode: 'Proxy' }] } } };
}

const warning = (name: string, messageContains: string, namespace = 'default'): Expectation => ({
  event: { reason: 'SyncLoadBalancerFailed', type: 'Warning', object: { kind: 'Service', name, namespace }, messageContains },
});

describe('local provider: bad input on the way through the service controller', () => {
  let squatter: Server;
  before(async () => {
    // Another process already serves 127.0.94.5:8080.
    squatter = createServer();
    await new Promise<void>((resolve, reject) => {
      squatter.once('error', reject);
      squatter.listen(8080, '127.0.94.5', resolve);
    });
  });
  after(() => void squatter.close());

  it('Warning events name the address, pool and port; other Services keep working; exhaustion recovers', async () => {
    const scenario: ScenarioFile = {
      name: 'local provider bad input',
      seed: 1,
      provider: {
        name: 'local',
        config: {
          pools: [
            { name: 'main', ranges: ['127.0.94.0/29'], namespaces: ['default'] },
            { name: 'tiny', ranges: ['127.0.94.8/32'], namespaces: ['tiny'] },
          ],
          healthCheck: { enabled: false },
        },
      },
      manager: { controllers: ['service'], 'configure-cloud-routes': false },
      objects: [
        {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: 'n1' },
          spec: { providerID: 'local://n1' },
          status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '127.0.95.1' }] },
        } as KubeObject,
        lbService('good', { loadBalancerIP: '127.0.94.2' }),
        lbService('outside', { loadBalancerIP: '127.0.90.1' }),
        lbService('not-an-ip', { annotations: { 'outrigger.io/load-balancer-ips': '127.0.94.x' } }),
        lbService('squatted', { loadBalancerIP: '127.0.94.5' }),
        lbService('first', { namespace: 'tiny' }),
      ],
      steps: [
        { settle: { within: 60_000 } },
        // Created after `good` holds its address.
        { apply: [lbService('taken', { annotations: { 'outrigger.io/load-balancer-ips': '127.0.94.2' } }), lbService('second', { namespace: 'tiny' })] },
        { settle: { within: 60_000 } },
        {
          expect: [
            { kind: 'Service', name: 'good', match: ingress('127.0.94.2') },
            { kind: 'Service', namespace: 'tiny', name: 'first', match: ingress('127.0.94.8') },
            warning('outside', 'requested load-balancer IP 127.0.90.1 is not in any address pool'),
            warning('not-an-ip', 'requested load-balancer IP "127.0.94.x" is not an IP address'),
            warning('squatted', 'cannot listen on 127.0.94.5:8080/TCP: EADDRINUSE'),
            warning('taken', 'requested load-balancer IP 127.0.94.2 (pool "main") is already allocated to Service default/good'),
            warning('second', 'address pool "tiny" is exhausted', 'tiny'),
            { kind: 'Service', name: 'outside', match: { status: { loadBalancer: { ingress: null } } } },
            { kind: 'Service', name: 'taken', match: { status: { loadBalancer: { ingress: null } } } },
            { kind: 'Service', namespace: 'tiny', name: 'second', match: { status: { loadBalancer: { ingress: null } } } },
          ],
        },
        // The tiny pool frees up: the exhausted Service gets the address on its next retry.
        { delete: { kind: 'Service', namespace: 'tiny', name: 'first' } },
        { settle: { within: 120_000 } },
        { advance: 60_000 },
        { settle: { within: 120_000 } },
        {
          expect: [
            { kind: 'Service', namespace: 'tiny', name: 'first', absent: true },
            { kind: 'Service', namespace: 'tiny', name: 'second', match: ingress('127.0.94.8') },
            { kind: 'Service', name: 'good', match: ingress('127.0.94.2') },
          ],
        },
      ],
    };
    const report = await runScenario(scenario);
    const failed = report.expectations.filter((e) => !e.ok).map((e) => `${e.description}: ${e.mismatches.join('; ')}`);
    assert.deepEqual(failed, []);
    assert.equal(report.expectations.length, 13);
    // The refused Services stay queued for retry with backoff (as upstream), so a settle never
    // finds the controller idle; nothing else may be left pending.
    for (const settle of report.settles) {
      for (const busy of settle.busy ?? []) assert.match(busy, /^service: 0 pending, 0 in flight, \d+ delayed$/);
    }
    // The squatter's socket is untouched, and nothing of ours is left bound once the run ends.
    assert.equal(squatter.listening, true);
    assert.equal(await probeTcp('127.0.94.2', 8080), 'ECONNREFUSED');
    assert.equal(await probeTcp('127.0.94.8', 8080), 'ECONNREFUSED');
  });
});
