import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../kube/clock.js';
import { SimulatedApiServer } from '../kube/memory/index.js';
import { HttpApiServer } from '../kube/memory/http/index.js';
import { SERVICE_ACCOUNTS } from '../kube/resources.js';
import { WriteFence } from '../kube/write-fence.js';
import { noopLogger } from '../log/logger.js';
import { buildClients } from './clients.js';
import { createManagerMetrics } from './metrics/index.js';
import { optionsFromFlags } from './options/manager-options.js';
import { parseFlags } from './options/parse-flags.js';

describe('buildClients with --use-service-account-credentials', () => {
  it('creates service accounts and token requests only while the Lease is held (they are writes like any other)', async () => {
    const api = new SimulatedApiServer();
    const http = await HttpApiServer.start({ server: api });
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-clients-'));
    const built: { close?(): void }[] = [];
    try {
      const kubeconfig = join(dir, 'kubeconfig');
      await http.writeKubeconfig(kubeconfig);
      const options = optionsFromFlags(parseFlags(['--cloud-provider=fake', `--kubeconfig=${kubeconfig}`, '--use-service-account-credentials']));
      const fence = new WriteFence();
      let leading = false;
      fence.guard(() => leading, 'the Lease is not held');
      const clock = new FakeClock();
      const { root, clients, clientFor } = await buildClients(options, {}, clock, createManagerMetrics({ clock }), [], noopLogger, undefined, fence);
      built.push(root, ...clients.values());
      // A standby's provider client asks for its token: refused before anything is created.
      await assert.rejects(clientFor('cloud-provider').nodes.list(), /failed to get token for kube-system\/cloud-provider: refusing to create serviceaccounts: the Lease is not held$/);
      assert.deepEqual(api.snapshot(SERVICE_ACCOUNTS), []);
      // Leading: the same client gets its service account and token.
      leading = true;
      await clientFor('cloud-provider').nodes.list();
      assert.ok((api.snapshot(SERVICE_ACCOUNTS)).some((a) => a.metadata?.name === 'cloud-provider'));
    } finally {
      for (const c of built) c.close?.();
      await http.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
