/**
 * The local demonstration: simulated kube-proxies on loopback node addresses and the `local`
 * provider's real load balancers in front of them (`outrigger simulate --demo-local`, `npm start`).
 *
 * @module
 */
export { httpGet, localDemoScenario, runLocalDemo } from './local-demo.js';
export type { DemoAnswer, LocalDemoOptions, LocalDemoResult } from './local-demo.js';
export { startSimulatedKubeProxies } from './simulated-kube-proxy.js';
export type { SimulatedKubeProxies, SimulatedKubeProxiesOptions, SimulatedNode, SimulatedNodePortService } from './simulated-kube-proxy.js';
