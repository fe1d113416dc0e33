/**
 * `--tls-min-version`, `--tls-cipher-suites` and `--tls-curve-preferences` (and their
 * `--webhook-` twins) in Go's vocabulary, turned into Node TLS server options.
 *
 * Go names cipher suites by their IANA names and curves by numeric `tls.CurveID`; Node takes
 * OpenSSL cipher names and curve names. The table below maps every name component-base accepts
 * (`cliflag.TLSCipherSuites`). As in Go, the list only restricts TLS 1.0–1.2: TLS 1.3 suites
 * are always on (Go does not let them be configured), so TLS 1.3 names are accepted and ignored.
 *
 * @module
 */
import type { SecureContextOptions } from 'node:tls';
import { getCiphers } from 'node:tls';

/** A TLS flag value this build cannot honour or does not know. */
export class TlsOptionError extends Error {
  override readonly name = 'TlsOptionError';
  readonly flag: string;
  constructor(flag: string, message: string) {
    super(message);
    this.flag = flag;
  }
}

/** IANA (Go) name ⇒ OpenSSL name, for TLS ≤ 1.2 suites. */
const TLS12_SUITES: Readonly<Record<string, string>> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  // Go's "insecure" list: accepted (as component-base does), usually a bad idea.
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: 'ECDHE-RSA-DES-CBC3-SHA',
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: 'DES-CBC3-SHA',
  TLS_ECDHE_ECDSA_WITH_RC4_128_SHA: 'ECDHE-ECDSA-RC4-SHA',
  TLS_ECDHE_RSA_WITH_RC4_128_SHA: 'ECDHE-RSA-RC4-SHA',
  TLS_RSA_WITH_RC4_128_SHA: 'RC4-SHA',
};

/** TLS 1.3 suites: always enabled, as in Go. */
const TLS13_SUITES = new Set(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']);

/** Go `tls.CurveID` ⇒ OpenSSL group name. */
const CURVES: Readonly<Record<string, string>> = {
  '23': 'P-256',
  '24': 'P-384',
  '25': 'P-521',
  '29': 'X25519',
};

const VERSIONS: Readonly<Record<string, 'TLSv1.2' | 'TLSv1.3'>> = { VersionTLS12: 'TLSv1.2', VersionTLS13: 'TLSv1.3' };

/** The three flags of one listener, as given. */
export interface TlsFlags {
  readonly minVersion: string;
  readonly cipherSuites: readonly string[];
  readonly curvePreferences: readonly string[];
}

/**
 * Node TLS options for the flags; flag names in errors get `prefix` (`--` or `--webhook-`).
 * @throws TlsOptionError naming the flag and the value.
 */
export function tlsServerOptions(flags: TlsFlags, prefix: '--' | '--webhook-' = '--'): Pick<SecureContextOptions, 'minVersion' | 'ciphers' | 'ecdhCurve'> {
  const out: { minVersion?: 'TLSv1.2' | 'TLSv1.3'; ciphers?: string; ecdhCurve?: string } = {};
  if (flags.minVersion !== '') {
    const version = VERSIONS[flags.minVersion];
    if (version === undefined) {
      throw new TlsOptionError(`${prefix}tls-min-version`, `${prefix}tls-min-version: unsupported version ${JSON.stringify(flags.minVersion)} (supported: ${Object.keys(VERSIONS).join(', ')})`);
    }
    out.minVersion = version;
  }
  if (flags.cipherSuites.length > 0) {
    const available = new Set(getCiphers().map((c) => c.toUpperCase()));
    const names: string[] = [];
    for (const suite of flags.cipherSuites) {
      if (TLS13_SUITES.has(suite)) continue;
      const openssl = TLS12_SUITES[suite];
      if (openssl === undefined) throw new TlsOptionError(`${prefix}tls-cipher-suites`, `${prefix}tls-cipher-suites: unknown cipher suite ${JSON.stringify(suite)} (use IANA names such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)`);
      if (!available.has(openssl)) throw new TlsOptionError(`${prefix}tls-cipher-suites`, `${prefix}tls-cipher-suites: ${suite} is not available in this Node.js build's OpenSSL`);
      names.push(openssl);
    }
    // Only TLS 1.3 names given: nothing to restrict, as in Go.
    if (names.length > 0) out.ciphers = [...new Set(names)].join(':');
  }
  if (flags.curvePreferences.length > 0) {
    const groups = flags.curvePreferences.map((id) => {
      const name = CURVES[id.trim()];
      if (name === undefined) throw new TlsOptionError(`${prefix}tls-curve-preferences`, `${prefix}tls-curve-preferences: unsupported curve ID ${JSON.stringify(id)} (supported: ${Object.entries(CURVES).map(([k, v]) => `${k}=${v}`).join(', ')})`);
      return name;
    });
    out.ecdhCurve = [...new Set(groups)].join(':');
  }
  return out;
}
