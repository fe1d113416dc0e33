import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedApiServer } from '../kube/memory/index.js';
import { SERVICE_ACCOUNTS } from '../kube/resources.js';
import { lazyKubeClient } from './lazy-kube-client.js';

describe('lazyKubeClient', () => {
  it('builds the client on the first call only, and serves every resource through it', async () => {
    const server = new SimulatedApiServer();
    let builds = 0;
    const client = lazyKubeClient(() => {
      builds++;
      return Promise.resolve(server.client({ userAgent: 'lazy' }));
    });
    assert.equal(builds, 0, 'nothing is built before a call');
    await client.nodes.create({ metadata: { name: 'n1' } });
    await client.resource(SERVICE_ACCOUNTS).create({ metadata: { namespace: 'kube-system', name: 'sa' } });
    assert.deepEqual((await client.nodes.list()).items.map((n) => n.metadata?.name), ['n1']);
    assert.equal(builds, 1);
    assert.ok(server.requestCounts().every((c) => c.userAgent === 'lazy'));
  });

  it('fails the calls of a failed build and builds again on the next call', async () => {
    const server = new SimulatedApiServer();
    let builds = 0;
    const client = lazyKubeClient(() => (++builds === 1 ? Promise.reject(new Error('kubeconfig unreadable')) : Promise.resolve(server.client())));
    await assert.rejects(client.services.list(), /kubeconfig unreadable/);
    assert.deepEqual((await client.services.list()).items, []);
    assert.equal(builds, 2);
  });
});
