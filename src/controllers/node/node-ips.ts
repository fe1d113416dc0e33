/**
 * Parsing the kubelet's provided node IP (`alpha.kubernetes.io/provided-node-ip`) the way
 * upstream's component-helpers `node/util/ips.go` does: one IP, or a comma-separated dual-stack
 * pair, each parsed "sloppily" (IPv4 parts with leading zeros are read as decimal, as
 * `netutils.ParseIPSloppy` keeps Go's pre-1.17 behaviour).
 *
 * @module
 */

/** A parsed IP: 16 bytes, IPv4 stored IPv4-mapped (`::ffff:a.b.c.d`) as Go's `net.IP` does. */
export interface ParsedIP {
  /** The 16-byte form; equal bytes mean the same address however it was written. */
  readonly bytes: Uint8Array;
  /** True for IPv4 and IPv4-mapped IPv6 (Go's `To4() != nil`). */
  readonly isIPv4: boolean;
  /** The text it was parsed from. */
  readonly text: string;
}

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function parseIPv4Bytes(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const part of parts) {
    // Sloppy: any run of decimal digits up to 255, leading zeros meaning nothing (not octal).
    if (!/^[0-9]+$/.test(part)) return undefined;
    const value = Number.parseInt(part, 10);
    if (value > 255) return undefined;
    out.push(value);
  }
  return out;
}

function parseIPv6Bytes(text: string): number[] | undefined {
  // Go's parser accepts no zone (`%eth0`) and at most one `::`.
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const fields = part.split(':');
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as string;
      if (i === fields.length - 1 && field.includes('.')) {
        const v4 = parseIPv4Bytes(field);
        if (v4 === undefined) return undefined;
        out.push(...v4);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(field)) return undefined;
        const value = Number.parseInt(field, 16);
        out.push(value >> 8, value & 0xff);
      }
    }
    return out;
  };
  const head = groupsOf(halves[0] as string);
  if (head === undefined) return undefined;
  if (halves.length === 1) return head.length === 16 ? head : undefined;
  const tail = groupsOf(halves[1] as string);
  if (tail === undefined) return undefined;
  const fill = 16 - head.length - tail.length;
  // `::` stands for at least one zero group.
  if (fill < 2) return undefined;
  return [...head, ...new Array<number>(fill).fill(0), ...tail];
}

/**
 * Parses an IPv4 or IPv6 address as upstream's `netutils.ParseIPSloppy`; `undefined` when it is
 * not one (no surrounding spaces, no zone, no CIDR suffix).
 */
export function parseIPSloppy(text: string): ParsedIP | undefined {
  if (text.includes(':')) {
    const bytes = parseIPv6Bytes(text);
    if (bytes === undefined) return undefined;
    const isIPv4 = V4_MAPPED_PREFIX.every((b, i) => bytes[i] === b);
    return { bytes: Uint8Array.from(bytes), isIPv4, text };
  }
  const v4 = parseIPv4Bytes(text);
  if (v4 === undefined) return undefined;
  return { bytes: Uint8Array.from([...V4_MAPPED_PREFIX, ...v4]), isIPv4: true, text };
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
