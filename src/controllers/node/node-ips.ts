/**
 * Parsing the kubelet's provided node IP (`alpha.kubernetes.io/provided-node-ip`) the way
 * upstream's component-helpers `node/util/ips.go` does: one IP, or a comma-separated dual-stack
 * pair, each parsed "sloppily" (IPv4 parts with leading zeros are read as decimal, as
 * `netutils.ParseIPSloppy` keeps Go's pre-1.17 behaviour).
 *
 * @module
 */
import { ipTo16Bytes, isIpv4Mapped, parseIp } from '../../net/ip.js';

/** A parsed IP: 16 bytes, IPv4 stored IPv4-mapped (`::ffff:a.b.c.d`) as Go's `net.IP` does. */
export interface ParsedIP {
  /** The 16-byte form; equal bytes mean the same address however it was written. */
  readonly bytes: Uint8Array;
  /** True for IPv4 and IPv4-mapped IPv6 (Go's `To4() != nil`). */
  readonly isIPv4: boolean;
  /** The text it was parsed from. */
  readonly text: string;
}

/**
 * Parses an IPv4 or IPv6 address as upstream's `netutils.ParseIPSloppy`; `undefined` when it is
 * not one (no surrounding spaces, no zone, no CIDR suffix).
 */
export function parseIPSloppy(text: string): ParsedIP | undefined {
  const ip = parseIp(text, { syntax: 'sloppy' });
  if (ip === undefined) return undefined;
  return { bytes: ipTo16Bytes(ip), isIPv4: ip.family === 4 || isIpv4Mapped(ip), text };
}

/** Whether two parsed IPs are the same address (Go's `net.IP.Equal`). */
export function ipEqual(a: ParsedIP, b: ParsedIP): boolean {
  return a.bytes.every((byte, i) => byte === b.bytes[i]);
}

/** Whether `ip` is `0.0.0.0` or `::`. */
export function isUnspecified(ip: ParsedIP): boolean {
  if (ip.isIPv4) return ip.bytes.slice(12).every((b) => b === 0);
  return ip.bytes.every((b) => b === 0);
}

/** Why a provided node IP annotation was rejected. */
export class NodeIPParseError extends Error {
  override readonly name = 'NodeIPParseError';
  /** The annotation value as given. */
  readonly value: string;

  constructor(value: string, detail: string) {
    super(`failed to parse node IP ${JSON.stringify(value)}: ${detail}`);
    this.value = value;
  }
}

/**
 * Parses the value of `alpha.kubernetes.io/provided-node-ip` strictly, as upstream's
 * `ParseNodeIPAnnotation`: one IP, or a dual-stack pair `a,b` (one of each family, neither
 * unspecified). Throws {@link NodeIPParseError} otherwise (no trimming: the kubelet writes it
 * canonically, so stray spaces mean a broken writer).
 */
export function parseNodeIPAnnotation(value: string): ParsedIP[] {
  const ips: ParsedIP[] = [];
  for (const entry of value.split(',')) {
    const ip = parseIPSloppy(entry);
    if (ip === undefined) throw new NodeIPParseError(value, `could not parse ${JSON.stringify(entry)}`);
    ips.push(ip);
  }
  const [first, second] = ips;
  if (ips.length > 2 || (first !== undefined && second !== undefined && first.isIPv4 === second.isIPv4)) {
    throw new NodeIPParseError(value, 'must contain either a single IP or a dual-stack pair of IPs');
  }
  if (first !== undefined && second !== undefined && (isUnspecified(first) || isUnspecified(second))) {
    throw new NodeIPParseError(value, "dual-stack node IP cannot include '0.0.0.0' or '::'");
  }
  return ips;
}
