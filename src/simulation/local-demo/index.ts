/**
 * The local demonstration: simulated kube-proxies on loopback node addresses and the `local`
 * provider's real load balancers in front of them (`outrigger simulate --demo-local`, `npm start`).
 *
 * @module
 */
export { httpGet } from './http-get.js';
export { localDemoScenario, runLocalDemo } from './local-demo.js';
export { probeLoadBalancers } from './probe-load-balancers.js';
export type { ProbeAnswer, ProbeLoadBalancersOptions, ProbeTarget, WarningSource } from './probe-load-balancers.js';
export type { DemoAnswer, LocalDemoOptions, LocalDemoResult } from './local-demo.js';
export { startSimulatedKubeProxies } from './simulated-kube-proxy.js';
export type { SimulatedKubeProxies, SimulatedKubeProxiesOptions, SimulatedNode, SimulatedNodePortService } from './simulated-kube-proxy.js';
