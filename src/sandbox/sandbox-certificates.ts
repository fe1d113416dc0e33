/**
 * The sandbox's certificate authority and the API server's serving certificate, made fresh for
 * every run, in process.
 *
 * Why `selfsigned` (already a dependency, used for the manager's own serving certificate): it
 * signs with a given CA (`ca` option) on top of `@peculiar/x509` and WebCrypto, so no `openssl`
 * binary is needed on the user's machine, and we hand-write no DER. The CA's key never leaves
 * the process: the kubeconfig carries only the CA certificate.
 *
 * @module
 */
import { isIP } from 'node:net';
import type { Clock } from '../kube/clock.js';

/** PEM texts of one sandbox run. */
export interface SandboxCertificates {
  /** The CA certificate clients trust (`certificate-authority-data`). */
  readonly caCert: string;
  /** The API server's certificate, signed by the CA. */
  readonly cert: string;
  /** The API server's private key. */
  readonly key: string;
}

const HOUR_MS = 3_600_000;
/** A sandbox lives for a session; a year is plenty and keeps clients from warning about expiry. */
const VALIDITY_MS = 365 * 24 * HOUR_MS;

/**
 * A new CA, and a serving certificate for `localhost`, 127.0.0.1, ::1 and `host`, signed by it.
 *
 * @example
 * ```ts
 * const { caCert, cert, key } = await sandboxCertificates('127.0.0.1', new RealClock());
 * ```
 */
export async function sandboxCertificates(host: string, clock: Clock): Promise<SandboxCertificates> {
  const { generate } = await import('selfsigned');
  const now = clock.now();
  // Backdated an hour against clock skew, as kube's own self-signed helper does.
  const validity = { notBeforeDate: new Date(now - HOUR_MS), notAfterDate: new Date(now + VALIDITY_MS) };
  const ca = await generate([{ name: 'commonName', value: `outrigger-sandbox-ca@${Math.floor(now / 1000)}` }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ...validity,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const ips = new Set(['127.0.0.1', '::1']);
  const names = new Set(['localhost']);
  if (isIP(host) !== 0) ips.add(host);
  else names.add(host);
  const serving = await generate([{ name: 'commonName', value: 'outrigger-sandbox-apiserver' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ...validity,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [...[...names].map((value) => ({ type: 2 as const, value })), ...[...ips].map((ip) => ({ type: 7 as const, ip }))] },
    ],
  });
  return { caCert: ca.cert, cert: serving.cert, key: serving.private };
}
