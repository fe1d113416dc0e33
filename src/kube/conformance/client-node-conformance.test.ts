import { FakeClock } from '../clock.js';
import { createKubeClient } from '../client-node/index.js';
import { SimulatedApiServer } from '../memory/index.js';
import { HttpApiServer } from '../memory/http/index.js';
import { runKubeClientConformance, simulatedConformanceServer } from './kube-client-conformance.js';

// The client-node adapter, over real HTTP on loopback, against the simulated API's HTTP face.
runKubeClientConformance({
  name: 'client-node adapter over HTTP',
  setup: async () => {
    const server = new SimulatedApiServer({ clock: new FakeClock() });
    const face = await HttpApiServer.start({ server });
    const client = await createKubeClient({ master: face.url, qps: -1, timeoutMs: 5_000, userAgent: 'conformance', env: {} }).catch(async (err: unknown) => {
      await face.close();
      throw err;
    });
    return {
      client,
      server: simulatedConformanceServer(server),
      close: async () => {
        client.close();
        await face.close();
      },
    };
  },
});
