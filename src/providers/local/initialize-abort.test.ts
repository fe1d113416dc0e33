// Leadership that ends while the local provider is still initialising (SIGTERM or a lost lease
// during the takeover of the Services' addresses): what initialize already put on the interface
// must be removed, as after any other abort — not left until the process exits. `ip` is a fake
// keeping the interface's addresses in memory; the pool is 127.0.154.0/29 "on lo" (no other test
// uses it) and nothing on the host is touched.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../kube/clock.js';
import { SimulatedApiServer } from '../../kube/memory/simulated-api-server.js';
import { noopLogger } from '../../log/logger.js';
import type { CommandResult, CommandRunner } from './host-commands.js';
import { parseLocalConfig } from './local-config.js';
import { LocalCloudProvider } from './local-provider.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** `ip` on a host whose `lo` routes 127.0.154.0/29; `onAdd` runs after each address is added. */
class FakeHost implements CommandRunner {
  readonly addresses = new Set<string>();
  onAdd: () => void = () => undefined;

  run(command: string, args: readonly string[]): Promise<CommandResult> {
    return Promise.resolve(this.runSync(command, args));
  }

  runSync(command: string, args: readonly string[]): CommandResult {
    const line = [command, ...args].join(' ');
    const ok = (stdout = ''): CommandResult => ({ code: 0, stdout, stderr: '' });
    if (line === 'ip -j -4 route show table main') return ok(JSON.stringify([{ dst: '127.0.154.0/29', dev: 'lo' }]));
    if (line === 'ip -j link show dev lo') return ok('[]');
    if (line === 'ip -j addr show dev lo') return ok(JSON.stringify([{ addr_info: [...this.addresses].map((a) => ({ local: a, prefixlen: 32 })) }]));
    const add = /^ip addr add (\S+)\/32 dev lo$/.exec(line);
    if (add?.[1] !== undefined) {
      this.addresses.add(add[1]);
      this.onAdd();
      return ok();
    }
    const del = /^ip addr del (\S+)\/32 dev lo$/.exec(line);
    if (del?.[1] !== undefined) return this.addresses.delete(del[1]) ? ok() : { code: 2, stdout: '', stderr: 'Error: ipv4: Address not found.' };
    return { code: 1, stdout: '', stderr: `unexpected: ${line}` };
  }

  background(): { stop(): void } {
    return { stop: () => undefined };
  }
}

describe('LocalCloudProvider: leadership ends during initialize', () => {
  it('an address taken over before the abort is removed by the time initialize returns', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-init-abort-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const config = parseLocalConfig(`stateFile: ${join(dir, 'state.json')}\nhealthCheck: { enabled: false }\npools:\n- name: lan\n  ranges: [127.0.154.1-127.0.154.6]\n  interface: lo\n`);
    const host = new FakeHost();
    const provider = new LocalCloudProvider({ config, clock: new FakeClock(), logger: noopLogger, runner: host, interfaceOptions: { hasNetAdmin: () => Promise.resolve(true) } });
    const api = new SimulatedApiServer();
    const created = await api.client().services.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: 'default', name: 'a', uid: 'uid-a' },
      spec: { type: 'LoadBalancer', ports: [{ protocol: 'TCP', port: 18_154, nodePort: 30080 }] },
    });
    await api.client().services.updateStatus({ ...created, status: { loadBalancer: { ingress: [{ ip: '127.0.154.3' }] } } });
    const stop = new AbortController();
    // The lease is lost right after the takeover put the address on the interface.
    host.onAdd = () => stop.abort(new Error('leadership lost'));
    cleanups.push(() => provider.shutdown());
    await provider.initialize({ signal: stop.signal, logger: noopLogger, clientBuilder: { client: () => api.client() } }).catch(() => undefined);
    assert.ok(stop.signal.aborted);
    assert.deepEqual([...host.addresses], [], 'the taken-over address is removed after the abort');
  });
});
