import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CloudProvider } from '../cloud/provider.js';
import { ProviderRegistry } from '../cloud/registry.js';
import { FakeClock } from '../kube/clock.js';
import { apiErrors } from '../kube/errors.js';
import { SimulatedApiServer } from '../kube/memory/index.js';
import { LEASES } from '../kube/resources.js';
import { createLogger, MemoryLogSink } from '../log/logger.js';
import { FakeCloudProvider } from '../providers/fake/fake-provider.js';
import { buildManager } from './build.js';
import { ControllerManager } from './controller-manager.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, exitCodeFor } from './exit.js';
import { optionsFromFlags, validateOptions } from './options/manager-options.js';
import { parseFlags } from './options/parse-flags.js';
import type { StopReason } from './stop-reason.js';

const LEASE = { namespace: 'kube-system', name: 'cloud-controller-manager' };

/** A manager on a simulated API and a virtual clock, with the provider `make` builds. */
async function harness(make: (clock: FakeClock) => CloudProvider, flags: readonly string[] = []) {
  const clock = new FakeClock();
  const server = new SimulatedApiServer({ clock });
  const registry = new ProviderRegistry();
  registry.register('test', () => make(clock));
  const options = optionsFromFlags(parseFlags(['--cloud-provider=test', '--secure-port=0', '--configure-cloud-routes=false', ...flags]));
  const [invalid] = validateOptions(options);
  assert.equal(invalid, undefined);
  const logs = new MemoryLogSink();
  const parts = await buildManager({
    options,
    version: 'test',
    logger: createLogger(logs.sink, 2),
    clock,
    random: () => 0.5,
    env: {},
    registry,
    kubeClientFor: (userAgent) => server.client({ userAgent }),
  });
  const manager = new ControllerManager(parts, { identity: 'me', shutdownGraceMs: 5_000 });
  const shutdown = new AbortController();
  let reason: StopReason | undefined;
  const done = manager.run(shutdown.signal).then((r) => (reason = r));
  /** Advances the virtual clock in steps until the manager stopped (bounded). */
  const stopped = async (limitMs = 120_000): Promise<StopReason> => {
    for (let t = 0; t <= limitMs && reason === undefined; t += 500) await clock.advance(500);
    await done;
    assert.ok(reason !== undefined);
    return reason;
  };
  const messages = (): string[] => logs.records.map((r) => r.msg);
  const lease = () => server.snapshot(LEASES).find((l) => l.metadata?.name === LEASE.name);
  const leaseWritesBy = (userAgent: string): number =>
    server.requestCounts().filter((c) => c.userAgent === userAgent && c.resource === 'leases' && ['create', 'update', 'patch'].includes(c.verb)).reduce((n, c) => n + c.count, 0);
  return { clock, server, manager, shutdown, stopped, messages, lease, leaseWritesBy };
}

/** Runs the clock until `manager.whenRunning()` settles (bounded). */
async function running(h: { clock: FakeClock; manager: ControllerManager }): Promise<boolean> {
  let result: boolean | undefined;
  void h.manager.whenRunning().then((r) => (result = r));
  for (let t = 0; t <= 60_000 && result === undefined; t += 100) await h.clock.advance(100);
  assert.ok(result !== undefined, 'whenRunning settled');
  return result;
}

describe('ControllerManager: one stop path', () => {
  it('runs, then on shutdown drains and hands the Lease back (exit 0)', async () => {
    const h = await harness((clock) => new FakeCloudProvider({ clock }));
    assert.equal(await running(h), true);
    assert.equal(h.lease()?.spec?.holderIdentity, 'me');
    h.shutdown.abort(new Error('received SIGTERM'));
    const reason = await h.stopped();
    assert.equal(reason.kind, 'shutdown');
    assert.equal(exitCodeFor(reason), EXIT_OK);
    assert.equal(h.lease()?.spec?.holderIdentity, '', 'released after a clean drain');
    assert.ok(h.messages().includes('Stopped'));
  });

  it('a provider whose initialize throws stops the manager as an initialize failure (exit 1), not "Leader election failed", and starts no controller', async () => {
    const h = await harness(() => ({
      name: 'test',
      initialize: () => Promise.reject(new Error('no credentials')),
    }));
    assert.equal(await running(h), false);
    const reason = await h.stopped();
    assert.deepEqual({ kind: reason.kind, phase: reason.kind === 'failed' ? reason.phase : '' }, { kind: 'failed', phase: 'initialize' });
    assert.equal(exitCodeFor(reason), EXIT_FAILURE);
    assert.ok(h.messages().includes('Cloud provider initialize failed'), h.messages().join(' | '));
    assert.ok(!h.messages().includes('Leader election failed'));
    assert.ok(!h.messages().includes('Started controller'));
    assert.equal(h.lease()?.spec?.holderIdentity, 'me', 'a failure is no handover: the Lease is left to expire');
  });

  it('a provider whose initialize never answers is reported and stops the manager at --cloud-provider-initialize-timeout (exit 1)', async () => {
    const h = await harness(() => ({ name: 'test', initialize: () => new Promise<void>(() => {}) }), ['--cloud-provider-initialize-timeout=30s']);
    assert.equal(await running(h), false);
    const reason = await h.stopped();
    assert.equal(reason.kind === 'failed' ? reason.phase : reason.kind, 'initialize');
    assert.match(String((reason as { error?: unknown }).error), /cloud provider "test": initialize did not answer within 30s \(--cloud-provider-initialize-timeout\)/);
    assert.equal(exitCodeFor(reason), EXIT_FAILURE);
    assert.ok(h.messages().includes('Cloud provider initialize failed'));
  });

  it('a provider initialize rejecting with bad input exits 2', async () => {
    const bad = Object.assign(new Error('cloud-config: region is required'), { isInputError: true as const });
    const h = await harness(() => ({ name: 'test', initialize: () => Promise.reject(bad) }));
    const reason = await h.stopped();
    assert.equal(exitCodeFor(reason), EXIT_USAGE);
  });

  it('a lost Lease stops every write and the Lease is never written again (exit 1)', async () => {
    const h = await harness((clock) => new FakeCloudProvider({ clock }));
    assert.equal(await running(h), true);
    // Every renew fails from now on: leadership ends at the renew deadline.
    h.server.faults.inject({ verb: 'update', resource: 'leases', times: Infinity, error: () => apiErrors.internal('etcd unavailable') });
    const reason = await h.stopped();
    assert.equal(reason.kind, 'lease-lost');
    assert.equal(exitCodeFor(reason), EXIT_FAILURE);
    const writes = h.leaseWritesBy('cloud-controller-manager');
    h.server.faults.clear();
    await h.clock.advance(60_000);
    assert.equal(h.leaseWritesBy('cloud-controller-manager'), writes, 'no Lease write after the loss (no release)');
    assert.ok(h.messages().includes('leaderelection lost'));
    assert.ok(h.messages().includes('Failed to renew lease'), 'logged as a lost renew, not a cancel');
    assert.ok(!h.messages().includes('Stopped leading: run cancelled'));
  });

  it('the first stop reason wins: a shutdown after a failure is still a failure', async () => {
    const h = await harness((clock) => new FakeCloudProvider({ clock }));
    assert.equal(await running(h), true);
    h.manager.stop({ kind: 'failed', phase: 'controllers', error: new Error('first') });
    h.shutdown.abort(new Error('received SIGTERM'));
    const reason = await h.stopped();
    assert.equal(reason.kind, 'failed');
    assert.equal(exitCodeFor(reason), EXIT_FAILURE);
    assert.ok(h.messages().includes('Controller failed'));
    assert.ok(!h.messages().includes('Shutting down'), 'no drain: a failure stops writes at once');
  });

  it('refuses a provider without a cluster ID unless --allow-untagged-cloud (then it warns), as upstream', async () => {
    await assert.rejects(
      harness((clock) => new FakeCloudProvider({ clock, hasClusterID: false })),
      (err: unknown) => err instanceof Error && /--allow-untagged-cloud/.test(err.message) && (err as { isInputError?: boolean }).isInputError === true,
    );
    const h = await harness((clock) => new FakeCloudProvider({ clock, hasClusterID: false }), ['--allow-untagged-cloud']);
    assert.ok(h.messages().some((m) => /no cluster ID/.test(m)));
    assert.equal(await running(h), true);
    h.shutdown.abort(new Error('done'));
    await h.stopped();
  });
});
