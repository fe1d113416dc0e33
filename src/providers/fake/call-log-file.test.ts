import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProviderRegistry } from '../../cloud/registry.js';
import { FakeClock } from '../../kube/clock.js';
import { noopLogger } from '../../log/logger.js';
import type { CallLogLine } from './call-log-file.js';
import { openCallLogFile } from './call-log-file.js';
import { FakeCloudProvider } from './fake-provider.js';
import { registerFakeProvider } from './register-fake-provider.js';

const svc = { metadata: { namespace: 'ns', name: 'web', uid: 'u-1' }, spec: { type: 'LoadBalancer' } };
const node = (name: string): { metadata: { name: string } } => ({ metadata: { name } });

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'outrigger-call-log-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const readLines = async (path: string): Promise<CallLogLine[]> =>
  (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as CallLogLine);

describe('the fake call log file', () => {
  it('appends one summarised JSON line per call, failed calls included, in call order', async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'calls.jsonl');
      const log = openCallLogFile(path);
      const cloud = new FakeCloudProvider({ clock: new FakeClock(7), onRecord: (c) => log.write(c), instances: [{ nodeName: 'n1' }] });
      cloud.failNext('instanceMetadata', new Error('boom'));
      const lb = cloud.loadBalancer();
      assert.ok(lb);
      await lb.ensureLoadBalancer('kubernetes', svc, [node('n2'), node('n1')]);
      await assert.rejects(cloud.instancesV2()?.instanceMetadata(node('n1')) ?? Promise.resolve(), /boom/);
      await cloud.routes()?.createRoute('kubernetes', 'hint', { name: '', targetNode: 'n1', destinationCIDR: '10.0.0.0/24' });
      cloud.setInformers({});
      log.close();
      log.write(cloud.calls()[0]!); // after close: ignored, never a write to a closed descriptor
      assert.deepEqual(await readLines(path), [
        { method: 'ensureLoadBalancer', args: ['kubernetes', 'ns/web', ['n2', 'n1']], at: 7 },
        { method: 'instanceMetadata', args: ['n1'], at: 7 },
        { method: 'createRoute', args: ['kubernetes', 'hint', { name: '', targetNode: 'n1', destinationCIDR: '10.0.0.0/24' }], at: 7 },
        { method: 'setInformers', args: [], at: 7 },
      ]);
    });
  });

  it('is written by a provider built from config when callLogFile is set, which then keeps no history', async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'calls.jsonl');
      const registry = new ProviderRegistry();
      registerFakeProvider(registry, { clock: new FakeClock(1), callLogFile: path });
      const cloud = await registry.create('fake', { contents: '{"capabilities":["zones"]}', logger: noopLogger });
      assert.ok(cloud instanceof FakeCloudProvider);
      await cloud.zones()?.getZone();
      assert.deepEqual(await readLines(path), [{ method: 'getZone', args: [], at: 1 }]);
      assert.equal(cloud.calls().length, 0);
      assert.equal(cloud.callCount('getZone'), 1);
    });
  });

  it('names the file and the variable when the log cannot be opened', async () => {
    await withDir(async (dir) => {
      assert.throws(() => openCallLogFile(join(dir, 'missing', 'calls.jsonl')), /cannot open the call log ".*missing\/calls.jsonl" \(OUTRIGGER_FAKE_CALL_LOG\)/);
    });
  });
});
