// `dataPlane: nftables` on a host where the kernel path cannot be used, without root: `nft` is a
// fake (missing, or refusing). The provider must still initialise and serve in user space (the
// fallback), and a failing `nft` must be reported, never silently ignored, and retried. The pool is loopback
// 127.0.152.0/30 (used by no other test); nothing touches the host's real nftables.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../kube/clock.js';
import { SimulatedApiServer } from '../../kube/memory/simulated-api-server.js';
import { MemoryLogSink, createLogger, noopLogger } from '../../log/logger.js';
import type { CommandResult, CommandRunner } from './host-commands.js';
import { KernelDataPlanes } from './kernel-data-planes.js';
import { parseLocalConfig } from './local-config.js';
import { LocalCloudProvider } from './local-provider.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A host where `nft` is not installed (every call rejects, as ProcessCommandRunner does on ENOENT). */
const noNft: CommandRunner = {
  run: (command) => Promise.reject(new Error(`cannot run ${command}: spawn ${command} ENOENT`)),
  runSync: (command) => ({ code: null, stdout: '', stderr: `spawn ${command} ENOENT` }),
  background: () => ({ stop: () => undefined }),
};

const NODES: Node[] = [{ metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '127.0.153.1' }] } }];
const SERVICE: Service = {
  metadata: { namespace: 'default', name: 'web', uid: 'uid-web', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { type: 'LoadBalancer', ports: [{ protocol: 'TCP', port: 18_152, nodePort: 30080 }] },
};

describe('dataPlane nftables where nftables cannot be used (fake nft)', () => {
  it('nft not installed: initialize succeeds and the Service is served by the user-space proxy (ipMode Proxy)', async () => {
    const config = parseLocalConfig('dataPlane: nftables\nhealthCheck: { enabled: false }\npools:\n- name: lo\n  ranges: [127.0.152.1-127.0.152.2]\n');
    const provider = new LocalCloudProvider({ config, clock: new FakeClock(), logger: noopLogger, runner: noNft });
    const api = new SimulatedApiServer();
    const stop = new AbortController();
    cleanups.push(async () => {
      stop.abort();
      await provider.shutdown();
    });
    await provider.initialize({ signal: stop.signal, logger: noopLogger, clientBuilder: { client: () => api.client() } });
    assert.match(provider.localLoadBalancer.kernelUnavailableReason ?? '', /the nft command cannot be run .*ENOENT/);
    const status = await provider.localLoadBalancer.ensureLoadBalancer('k', SERVICE, NODES);
    assert.deepEqual(status.ingress.map((i) => [i.ip, i.ipMode]), [['127.0.152.1', 'Proxy']]);
  });

  it('an nft that fails to delete the table is reported (logged at stop, an error from removal), not ignored', async () => {
    const sink = new MemoryLogSink();
    const logger = createLogger(sink.sink);
    const refusing: CommandRunner = {
      run: (_command, _args, options) => {
        const res: CommandResult = (options?.input ?? '').includes('delete table') && !(options?.input ?? '').includes('{')
          ? { code: 1, stdout: '', stderr: 'Error: Could not process rule: Device or resource busy' }
          : { code: 0, stdout: '', stderr: '' };
        return Promise.resolve(res);
      },
      runSync: () => ({ code: 0, stdout: '', stderr: '' }),
      background: () => ({ stop: () => undefined }),
    };
    const config = parseLocalConfig('dataPlane: nftables\nhealthCheck: { enabled: false }\npools:\n- name: lo\n  ranges: [127.0.152.1-127.0.152.2]\n');
    const planes = new KernelDataPlanes({ config, clock: new FakeClock(), logger, runner: refusing, fence: { check: () => undefined } });
    await planes.apply('default/web', { address: '127.0.152.1', family: 4, ports: [{ protocol: 'TCP', port: 80, nodePort: 30080 }], nodes: [{ name: 'n1', host: '127.0.153.1' }], sourceRanges: [], affinitySeconds: undefined, healthCheckPort: 10256 });
    await assert.rejects(planes.remove('default/web'), /nft -f - exited 1: Error: Could not process rule: Device or resource busy/);
    await planes.stop();
    const errors = sink.records.filter((r) => r.level === 'error').map((r) => `${r.msg}: ${(r.err as Error).message}`);
    assert.ok(errors.some((e) => /Failed to delete the nftables table: nft -f - exited 1/.test(e)), JSON.stringify(errors));
  });

  it('a removal whose load failed is loaded again by the retry (the kernel never keeps a deleted Service)', async () => {
    let table = false;
    let failures = 1;
    const flaky: CommandRunner = {
      run: (_command, _args, options) => {
        const input = options?.input ?? '';
        if (input.includes('{')) table = true;
        else if (input.includes('delete table')) {
          if (failures > 0) {
            failures--;
            return Promise.resolve({ code: 1, stdout: '', stderr: 'Error: Could not process rule: Device or resource busy' });
          }
          table = false;
        }
        return Promise.resolve({ code: 0, stdout: '', stderr: '' });
      },
      runSync: () => ({ code: 0, stdout: '', stderr: '' }),
      background: () => ({ stop: () => undefined }),
    };
    const config = parseLocalConfig('dataPlane: nftables\nhealthCheck: { enabled: false }\npools:\n- name: lo\n  ranges: [127.0.152.1-127.0.152.2]\n');
    const planes = new KernelDataPlanes({ config, clock: new FakeClock(), logger: noopLogger, runner: flaky, fence: { check: () => undefined } });
    await planes.apply('default/web', { address: '127.0.152.1', family: 4, ports: [{ protocol: 'TCP', port: 80, nodePort: 30080 }], nodes: [{ name: 'n1', host: '127.0.153.1' }], sourceRanges: [], affinitySeconds: undefined, healthCheckPort: 10256 });
    assert.equal(table, true);
    await assert.rejects(planes.remove('default/web'), /Device or resource busy/);
    assert.equal(table, true, 'the failed delete left the table');
    await planes.remove('default/web');
    assert.equal(table, false, 'the retry deleted it');
    await planes.stop();
  });
});
