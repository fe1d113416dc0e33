import { FakeClock } from '../clock.js';
import { SimulatedApiServer } from '../memory/index.js';
import { runKubeClientConformance, simulatedConformanceServer } from './kube-client-conformance.js';

// The simulated API server, called in process.
runKubeClientConformance({
  name: 'simulated API server (in process)',
  setup: async () => {
    const server = new SimulatedApiServer({ clock: new FakeClock() });
    return { client: server.client({ userAgent: 'conformance' }), server: simulatedConformanceServer(server), close: async () => {} };
  },
});
