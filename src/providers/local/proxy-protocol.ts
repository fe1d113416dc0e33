/**
 * The PROXY protocol header (HAProxy's specification, versions 1 and 2) that the local load
 * balancer can send to a node before a connection's first byte, so that the backend learns the
 * client's address although the proxy connected from its own. Opt-in per Service with
 * {@link PROXY_PROTOCOL_ANNOTATION}: the backend must expect the header (nginx `proxy_protocol`,
 * HAProxy `accept-proxy`, Envoy's proxy_protocol listener filter), or it reads it as data.
 *
 * @module
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import { formatIpAddress, ipTo16Bytes, isIpv4Mapped, parseIp } from '../../net/ip.js';

/** Annotation choosing the PROXY protocol version for a Service's TCP ports: `v1` or `v2`. */
export const PROXY_PROTOCOL_ANNOTATION = 'outrigger.io/proxy-protocol';

/** A PROXY protocol version. */
export type ProxyProtocolVersion = 'v1' | 'v2';

/** The two ends of a proxied TCP connection, as the client sees it. */
export interface ProxiedConnection {
  readonly sourceAddress: string;
  readonly sourcePort: number;
  /** The load-balancer address and port the client connected to. */
  readonly destinationAddress: string;
  readonly destinationPort: number;
}

// Version 2's fixed 12-byte signature, then version 2 + command PROXY.
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V2_PROXY = 0x21;
const V2_TCP4 = 0x11;
const V2_TCP6 = 0x21;

/**
 * The Service's PROXY protocol version, or undefined when it has none.
 * @throws Error naming the annotation and the value when it is neither `v1` nor `v2`.
 */
export function proxyProtocolOf(service: Readonly<Service>): ProxyProtocolVersion | undefined {
  const raw = service.metadata?.annotations?.[PROXY_PROTOCOL_ANNOTATION];
  if (raw === undefined) return undefined;
  const value = raw.trim().toLowerCase();
  if (value === '') return undefined;
  if (value === 'v1' || value === 'v2') return value;
  throw new Error(`annotation ${PROXY_PROTOCOL_ANNOTATION}: ${JSON.stringify(raw)} is not a PROXY protocol version (v1 or v2)`);
}

interface Endpoint {
  readonly family: 4 | 6;
  /** Canonical text (v1). */
  readonly text: string;
  /** Network-order bytes, 4 or 16 (v2). */
  readonly bytes: Uint8Array;
}

/** An address as the header carries it; IPv4-mapped IPv6 (as a dual-stack socket reports IPv4 peers) as IPv4. */
function endpoint(text: string): Endpoint | undefined {
  const ip = parseIp(text, { zone: 'strip' });
  if (ip === undefined) return undefined;
  const sixteen = ipTo16Bytes(ip);
  if (ip.family === 4 || isIpv4Mapped(ip)) {
    const bytes = sixteen.subarray(12);
    return { family: 4, text: bytes.join('.'), bytes };
  }
  return { family: 6, text: formatIpAddress(ip), bytes: sixteen };
}

/**
 * The header announcing `c`, to be written to the node before any of the client's bytes. Both
 * ends must be of one family (they are: the client reached an address of the listener's family);
 * if they are not, v1 says `UNKNOWN` and v2 sends its LOCAL command, which backends accept and
 * treat as a connection without client information.
 */
export function proxyProtocolHeader(version: ProxyProtocolVersion, c: ProxiedConnection): Buffer {
  const src = endpoint(c.sourceAddress);
  const dst = endpoint(c.destinationAddress);
  const same = src !== undefined && dst !== undefined && src.family === dst.family;
  if (version === 'v1') {
    if (!same) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
    return Buffer.from(`PROXY TCP${src.family} ${src.text} ${dst.text} ${c.sourcePort} ${c.destinationPort}\r\n`, 'latin1');
  }
  if (!same) return Buffer.concat([V2_SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]);
  const family = src.family;
  const addresses = Buffer.concat([src.bytes, dst.bytes]);
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(c.sourcePort, 0);
  ports.writeUInt16BE(c.destinationPort, 2);
  const fixed = Buffer.alloc(4);
  fixed[0] = V2_PROXY;
  fixed[1] = family === 4 ? V2_TCP4 : V2_TCP6;
  fixed.writeUInt16BE(addresses.length + ports.length, 2);
  return Buffer.concat([V2_SIGNATURE, fixed, addresses, ports]);
}
