/**
 * IP address and CIDR arithmetic shared by controllers and providers.
 *
 * @module
 */
export { compareIp, formatIp, formatIpAddress, ipBits, ipTo16Bytes, isIpv4Mapped, maxIpValue, offsetIp, parseIp } from './ip.js';
export type { IpAddress, IpFamily, ParseIpOptions } from './ip.js';
export { cidrContains, cidrOf, cidrSize, formatCidr, lastAddress, parseCidr, prefixMask } from './cidr.js';
export type { Cidr, CidrParseResult, ParseCidrOptions } from './cidr.js';
