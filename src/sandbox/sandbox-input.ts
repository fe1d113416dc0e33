/**
 * The sandbox's bad-input error and the checks on its address flags: everything it binds is on
 * loopback (127.0.0.0/8 or ::1), and the node addresses, the LoadBalancer pool and the API
 * server's address do not overlap.
 *
 * @module
 */
import { parseIp } from '../net/ip.js';
import { parsePoolRange, rangeContains, rangesOverlap } from '../providers/local/ip-address.js';
import type { AddressRange } from '../providers/local/ip-address.js';
import type { SandboxNode } from './simulated-kubelet.js';

/** Bad input to the sandbox (a flag's value, a taken address, an existing file): exit 2, one line. */
export class SandboxInputError extends Error {
  override readonly name = 'SandboxInputError';
  /** The manager's and the CLI's marker for "the operator's input is at fault". */
  readonly isInputError = true;
  /** The flag at fault (`--pool`). */
  readonly flag: string;

  constructor(flag: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.flag = flag;
  }
}

/** The most simulated nodes: one /24 of node addresses, each with listeners per node port. */
export const MAX_SANDBOX_NODES = 100;

const LOOPBACK_V4: AddressRange = parsePoolRange('127.0.0.0/8');

/** Inputs of {@link validateSandboxAddresses}. */
export interface SandboxAddressInput {
  readonly nodes: number;
  readonly nodeSubnet: string;
  readonly pool: string;
  readonly apiserverAddress: string;
  /** Whether the pool is used (the generated `local` provider config). */
  readonly local: boolean;
}

/** The nodes' names and addresses, after the checks. */
export interface SandboxAddresses {
  readonly nodes: readonly SandboxNode[];
}

function isLoopback(text: string): boolean {
  const ip = parseIp(text);
  if (ip === undefined) return false;
  return ip.family === 6 ? ip.value === 1n : rangeContains(LOOPBACK_V4, ip);
}

/**
 * Checks the address flags; throws a {@link SandboxInputError} naming the flag.
 *
 * @example
 * ```ts
 * const { nodes } = validateSandboxAddresses({ nodes: 3, nodeSubnet: '127.0.50', pool: '127.0.100.0/24', apiserverAddress: '127.0.0.1', local: true });
 * ```
 */
export function validateSandboxAddresses(i: SandboxAddressInput): SandboxAddresses {
  if (!Number.isInteger(i.nodes) || i.nodes < 1 || i.nodes > MAX_SANDBOX_NODES) {
    throw new SandboxInputError('--nodes', `--nodes: expected a whole number from 1 to ${MAX_SANDBOX_NODES}, got ${String(i.nodes)}`);
  }
  const octets = /^127\.(\d{1,3})\.(\d{1,3})$/.exec(i.nodeSubnet);
  if (octets === null || octets.slice(1).some((x) => Number(x) > 255)) {
    throw new SandboxInputError('--node-subnet', `--node-subnet: expected three octets of 127.0.0.0/8 such as 127.0.50, got ${JSON.stringify(i.nodeSubnet)}`);
  }
  if (!isLoopback(i.apiserverAddress)) {
    throw new SandboxInputError('--apiserver-address', `--apiserver-address: expected a loopback address (127.0.0.0/8 or ::1), got ${JSON.stringify(i.apiserverAddress)}`);
  }
  const nodes = Array.from({ length: i.nodes }, (_, n) => ({ name: `node-${n}`, address: `${i.nodeSubnet}.${n + 1}` }));
  const nodeRange = parsePoolRange(`${i.nodeSubnet}.1-${i.nodeSubnet}.${i.nodes}`);
  const api = parseIp(i.apiserverAddress);
  if (api !== undefined && rangeContains(nodeRange, api)) {
    throw new SandboxInputError('--apiserver-address', `--apiserver-address: ${i.apiserverAddress} is one of the node addresses (--node-subnet ${i.nodeSubnet})`);
  }
  if (i.local) {
    let pool: AddressRange;
    try {
      pool = parsePoolRange(i.pool);
    } catch (err) {
      throw new SandboxInputError('--pool', `--pool: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (pool.family !== 4 || pool.first < LOOPBACK_V4.first || pool.last > LOOPBACK_V4.last) {
      throw new SandboxInputError('--pool', `--pool: ${i.pool} is not inside 127.0.0.0/8 (the sandbox binds loopback addresses only)`);
    }
    if (rangesOverlap(pool, nodeRange)) {
      throw new SandboxInputError('--pool', `--pool: ${i.pool} overlaps the node addresses ${i.nodeSubnet}.1-${i.nodes} (--node-subnet)`);
    }
    if (api !== undefined && rangeContains(pool, api)) {
      throw new SandboxInputError('--pool', `--pool: ${i.pool} contains the API server's address ${i.apiserverAddress} (--apiserver-address)`);
    }
  }
  return { nodes };
}
