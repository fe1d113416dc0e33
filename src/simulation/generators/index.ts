/**
 * Scenario generators for scale runs and the demonstration.
 *
 * @module
 */
export { DEFAULT_NODE_PORT_COUNT, demoScenario, generateCluster, generateClusterObjects, kubeletNode, loadBalancerService } from './generate-cluster.js';
export type { GenerateClusterOptions } from './generate-cluster.js';
