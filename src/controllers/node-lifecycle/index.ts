/**
 * The cloud node lifecycle controller and its shutdown-taint helpers.
 *
 * @module
 */
export {
  CloudNodeLifecycleController,
  DEFAULT_NODE_MONITOR_PERIOD_MS,
  REASON_DELETING_NODE,
  REASON_DELETING_NODE_FAILED,
} from './cloud-node-lifecycle-controller.js';
export type { CloudNodeLifecycleControllerOptions } from './cloud-node-lifecycle-controller.js';
export { addOrUpdateTaintOnNode, removeTaintOffNode, SHUTDOWN_TAINT, UPDATE_TAINT_BACKOFF } from './shutdown-taint.js';
