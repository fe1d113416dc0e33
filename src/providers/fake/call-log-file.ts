/**
 * The fake provider's call log on disk: one JSON line per cloud call, appended as the call is
 * made, so a CCM process run with the fake can be compared with another one (the reference CCM's
 * anchor cloud, test/reference-ccm, writes the same lines). Arguments are summarised — a Service
 * as `namespace/name`, a Node as its name, a route as its name, target and destination — since
 * whole objects would make the log as large as the cluster and differ in fields no cloud reads.
 *
 * @module
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { Route } from '../../cloud/routes.js';
import { errorMessage } from '../../log/error-message.js';
import type { FakeCall } from './call-recorder.js';
import { serviceKeyOf } from './fake-load-balancers.js';

/** The environment variable naming the call log file of a fake provider built from config. */
export const FAKE_CALL_LOG_ENV = 'OUTRIGGER_FAKE_CALL_LOG';

/** One line of the call log. */
export interface CallLogLine {
  readonly method: string;
  /** The summarised arguments (see the module comment). */
  readonly args: readonly unknown[];
  /** When the call was made, ms since the epoch (the provider's clock). */
  readonly at: number;
}

const nodeName = (node: Readonly<Node>): string => node.metadata?.name ?? '';

function routeArg(route: Readonly<Route>): Record<string, unknown> {
  return {
    name: route.name ?? '',
    targetNode: route.targetNode,
    destinationCIDR: route.destinationCIDR,
    ...(route.blackhole === true && { blackhole: true }),
  };
}

/** The summarised arguments of `call`. */
export function summariseArgs(call: FakeCall): unknown[] {
  switch (call.method) {
    case 'initialize':
    case 'setInformers':
      return [];
    case 'getLoadBalancer':
    case 'getLoadBalancerName':
    case 'ensureLoadBalancerDeleted':
      return [call.args[0], serviceKeyOf(call.args[1])];
    case 'ensureLoadBalancer':
    case 'updateLoadBalancer':
      return [call.args[0], serviceKeyOf(call.args[1]), call.args[2].map(nodeName)];
    case 'instanceExists':
    case 'instanceShutdown':
    case 'instanceMetadata':
      return [nodeName(call.args[0])];
    case 'addSSHKeyToAllInstances':
      return [call.args[0], call.args[1].length];
    case 'createRoute':
      return [call.args[0], call.args[1], routeArg(call.args[2])];
    case 'deleteRoute':
      return [call.args[0], routeArg(call.args[1])];
    case 'nodeAddresses':
    case 'nodeAddressesByProviderID':
    case 'instanceID':
    case 'instanceType':
    case 'instanceTypeByProviderID':
    case 'currentNodeName':
    case 'instanceExistsByProviderID':
    case 'instanceShutdownByProviderID':
    case 'getZone':
    case 'getZoneByProviderID':
    case 'getZoneByNodeName':
    case 'listClusters':
    case 'master':
    case 'listRoutes':
      // Strings only: recorded as they are.
      return [...call.args];
  }
}

/** The JSON line (without the newline) recording `call`. */
export function callLogLine(call: FakeCall): string {
  const line: CallLogLine = { method: call.method, args: summariseArgs(call), at: call.at };
  return JSON.stringify(line);
}

/** An open call log file. */
export interface CallLogFile {
  /** Appends `call` (one `write(2)`, so lines of concurrent calls never interleave). */
  write(call: FakeCall): void;
  close(): void;
}

/**
 * Opens (creates, appends to) the call log at `path`.
 * @throws Error naming the file and {@link FAKE_CALL_LOG_ENV} when it cannot be opened.
 */
export function openCallLogFile(path: string): CallLogFile {
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (err) {
    throw new Error(`fake cloud provider: cannot open the call log ${JSON.stringify(path)} (${FAKE_CALL_LOG_ENV}): ${errorMessage(err)}`, { cause: err });
  }
  let open = true;
  return {
    write(call) {
      if (open) writeSync(fd, `${callLogLine(call)}\n`);
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
