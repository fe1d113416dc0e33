/**
 * Failover of a `local` load-balancer address between two managers on two hosts, in network
 * namespaces: the real `outrigger run` on lb1 and lb2 (leader election on a Lease of the simulated
 * API, served over HTTP from an api host), two node hosts, and a client reconnecting in a loop.
 * kill -9 of the leader: the standby takes the Lease when it expires, puts the address on its own
 * interface and announces it before its service controller starts, and the client reconnects
 * through it. The killed manager, restarted, removes the address it left. SIGTERM of the new
 * leader: the address is removed at once, the Lease released, and the restarted one takes over.
 *
 * The outage each time is measured by the client and reported (`# failover …` diagnostics); it
 * is not asserted (timing on a shared machine is noise). Needs root; skipped with the reason
 * otherwise. Only 192.0.2.0/24 inside the lab's namespaces is used; the lab is always removed.
 */
import { after, before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Service } from 'kubernetes-types/core/v1.js';
import { AGENT, startProgram } from '../netns/agent-client.js';
import type { LabProgram } from '../netns/agent-client.js';
import { createLab, labUnavailableReason } from '../netns/lab.js';
import { startManager } from '../netns/manager.js';
import type { LabManager } from '../netns/manager.js';
import { recipeConfig } from '../netns/recipes.js';
import type { Lab } from '../netns/lab.js';
import { NODE_PORT, UDP_NODE_PORT, labNodes, lanService, waitFor } from '../netns/fixtures.js';

const skip = labUnavailableReason();
const API_HOST = fileURLToPath(new URL('../netns/api-host.ts', import.meta.url));
const VIP = '192.0.2.100';
interface LoopStatus {
  attempts: number;
  failures: number;
  maxGapMs: number;
  gaps: number[];
  replies: string[];
  lastError?: string;
  okSinceMs?: number;
  failuresSinceOk: number;
}

describe('local provider: failover of an address between two hosts', { skip }, () => {
  let lab: Lab;
  let dir: string;
  let api: LabProgram;
  let client: LabProgram;
  const managers: LabManager[] = [];

  before(async () => {
    lab = createLab({ api: 5, client: 10, lb1: 11, lb2: 12, node1: 21, node2: 22 });
    dir = mkdtempSync(join(tmpdir(), 'outrigger-failover-'));
    api = await startProgram(lab, 'api', API_HOST, [lab.host('api').ip, join(dir, 'kubeconfig')]);
    client = await startProgram(lab, 'client', AGENT);
    for (const n of ['node1', 'node2']) {
      const agent = await startProgram(lab, n, AGENT);
      await agent.call('serve', { host: lab.host(n).ip, tcpPort: NODE_PORT, udpPort: UDP_NODE_PORT, healthPort: 10256, name: n });
      const [node] = labNodes(lab, [n]);
      await api.call('createNode', { node: { ...node, status: { ...node?.status, conditions: [{ type: 'Ready', status: 'True' }] } } });
    }
  });
  after(() => {
    for (const m of managers) m.child.kill('SIGKILL');
    lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(lab.remaining(), []);
  });

  const configFor = (host: string): string => {
    const path = join(dir, `${host}.yaml`);
    // The bare-metal recipe of docs/local-provider.md, as written there (only the state file moves).
    writeFileSync(path, recipeConfig('bare-metal', [['/var/lib/outrigger/local-lb.json', join(dir, `${host}-state.json`)]]));
    return path;
  };
  const manager = (host: string): LabManager => {
    const m = startManager(lab, host, configFor(host), join(dir, 'kubeconfig'));
    managers.push(m);
    return m;
  };
  const onEth0 = (host: string): boolean => lab.exec(host, 'ip', ['-o', 'addr', 'show', 'dev', 'eth0']).includes(`${VIP}/32`);
  const serviceIp = async (): Promise<string | undefined> => (await api.call<Service>('getService', { name: 'web' })).status?.loadBalancer?.ingress?.[0]?.ip;
  const loop = (): Promise<LoopStatus> => client.call<LoopStatus>('loopStatus');

  /** Waits until the client's loop has succeeded again after failing at least once since `attemptsBefore`. */
  async function waitForRecovery(what: string, timeoutMs = 30_000): Promise<LoopStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await loop();
      if (s.gaps.length > 0 && s.failuresSinceOk === 0) return s;
      if (Date.now() > deadline) throw new Error(`${what}: the client did not reconnect within ${timeoutMs} ms: ${JSON.stringify(s)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Waits until the client's loop has succeeded 5 times (and never failed). */
  async function waitForSuccesses(what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await loop();
      if (s.failures > 0) throw new Error(`the client failed to reach the address ${what}: ${JSON.stringify(s)}`);
      if (s.attempts >= 5) return;
      if (Date.now() > deadline) throw new Error(`the client did not reach the address ${what} within ${timeoutMs} ms: ${JSON.stringify(s)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('kill -9 of the leader and SIGTERM of the next: the address moves, the client reconnects', async (t: TestContext) => {
    const a = manager('lb1');
    await api.call('createService', { service: lanService('web', { externalTrafficPolicy: 'Cluster' }) });
    const timeout = (m: LabManager): string => m.stderr().slice(-3000);
    await waitFor(() => onEth0('lb1'), `${VIP} on lb1 (manager A leading): ${timeout(a)}`, 60_000);
    const b = manager('lb2');
    await waitFor(() => b.stderr().includes('Attempting to acquire leader lease'), `manager B campaigning: ${timeout(b)}`, 60_000);
    assert.equal(await serviceIp(), VIP);
    await client.call('loopStart', { host: VIP, port: 80, attemptTimeoutMs: 200, pauseMs: 10 });
    await waitForSuccesses('through A');

    // kill -9: A's address stays on lb1 (its kernel still answers for it), B takes over.
    a.child.kill('SIGKILL');
    await a.exited;
    const killed = await waitForRecovery('kill -9');
    assert.ok(onEth0('lb2'), 'B put the address on its interface');
    const bLog = b.stderr();
    const added = bLog.indexOf('Added a load-balancer address to an interface');
    const started = bLog.indexOf('Starting service controller');
    assert.ok(added >= 0 && started >= 0 && added < started, 'B added the address before its service controller started');
    t.diagnostic(`failover after kill -9 of the leader (lease 4 s): client outage ${killed.maxGapMs} ms`);
    await client.call('loopStop');

    // A restarts as a standby: it removes the address its kill -9 left on lb1.
    const a2 = manager('lb1');
    await waitFor(() => !onEth0('lb1'), `the restarted A to remove the address it left: ${timeout(a2)}`, 60_000);
    await waitFor(() => a2.stderr().includes('Attempting to acquire leader lease'), 'A campaigning again', 60_000);

    // SIGTERM of B: it removes the address, releases the Lease; A takes over.
    await client.call('loopStart', { host: VIP, port: 80, attemptTimeoutMs: 200, pauseMs: 10 });
    await waitForSuccesses('through B');
    b.child.kill('SIGTERM');
    assert.equal(await b.exited, 0, timeout(b));
    assert.ok(!onEth0('lb2'), 'B removed the address when it stopped');
    const termed = await waitForRecovery('SIGTERM');
    assert.ok(onEth0('lb1'), 'A put the address back on lb1');
    t.diagnostic(`failover after SIGTERM of the leader: client outage ${termed.maxGapMs} ms`);
    const final = await client.call<LoopStatus>('loopStop');
    assert.ok(final.replies.length > 0);
    a2.child.kill('SIGTERM');
    assert.equal(await a2.exited, 0, timeout(a2));
    assert.ok(!onEth0('lb1'), 'A removed the address when it stopped');
  });
});
