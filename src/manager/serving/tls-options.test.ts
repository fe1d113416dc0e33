import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import { noopLogger } from '../../log/logger.js';
import { createManagerMetrics } from '../metrics/index.js';
import { DEFAULT_ALWAYS_ALLOW_PATHS, startServing } from './start-serving.js';
import type { ServingHandle } from './start-serving.js';
import { TlsOptionError, tlsServerOptions } from './tls-options.js';
import { freePort } from './loopback.test-util.js';

const none = { minVersion: '', cipherSuites: [], curvePreferences: [] };

describe('tlsServerOptions (Go TLS flag vocabulary ⇒ Node)', () => {
  it('leaves Node defaults alone when no flag is set', () => assert.deepEqual(tlsServerOptions(none), {}));
  it('maps versions, IANA cipher names and Go curve IDs', () => {
    assert.deepEqual(
      tlsServerOptions({
        minVersion: 'VersionTLS13',
        cipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305', 'TLS_AES_128_GCM_SHA256'],
        curvePreferences: ['29', '23'],
      }),
      { minVersion: 'TLSv1.3', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305', ecdhCurve: 'X25519:P-256' },
    );
  });
  it('ignores TLS 1.3 suite names, as Go (they cannot be turned off)', () => assert.deepEqual(tlsServerOptions({ ...none, cipherSuites: ['TLS_AES_256_GCM_SHA384'] }), {}));
  const bad: [string, Parameters<typeof tlsServerOptions>[0], '--' | '--webhook-', RegExp][] = [
    ['an unknown version', { ...none, minVersion: 'VersionTLS99' }, '--', /^--tls-min-version: unsupported version "VersionTLS99" \(supported: VersionTLS12, VersionTLS13\)$/],
    ['an unknown cipher', { ...none, cipherSuites: ['TLS_NOPE'] }, '--webhook-', /^--webhook-tls-cipher-suites: unknown cipher suite "TLS_NOPE"/],
    ['an unknown curve', { ...none, curvePreferences: ['4588x'] }, '--', /^--tls-curve-preferences: unsupported curve ID "4588x"/],
  ];
  for (const [name, flags, prefix, message] of bad) {
    it(`refuses ${name}, naming the flag`, () => assert.throws(() => tlsServerOptions(flags, prefix), (err: unknown) => err instanceof TlsOptionError && message.test(err.message) && err.flag.startsWith(prefix)));
  }
});

/** Resolves with the negotiated protocol and cipher, or the handshake error's message. */
function handshake(port: number, options: ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => {
      resolve(`${socket.getProtocol() ?? ''} ${socket.getCipher().name}`);
      socket.destroy();
    });
    socket.on('error', (err: Error) => resolve(`error: ${err.message}`));
  });
}

describe('startServing honours the TLS flags on real handshakes', () => {
  let serving: ServingHandle;
  before(async () => {
    serving = await startServing({
      bindAddress: '127.0.0.1',
      securePort: await freePort(),
      alwaysAllowPaths: DEFAULT_ALWAYS_ALLOW_PATHS,
      // The self-signed certificate is EC P-256, so ECDSA suites apply.
      tls: tlsServerOptions({ minVersion: 'VersionTLS12', cipherSuites: ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'], curvePreferences: ['23'] }),
      metrics: createManagerMetrics({ processMetrics: false }),
      healthz: [],
      readyz: [],
      livez: [],
      logger: noopLogger,
    });
  });
  after(() => serving.close());

  it('negotiates the allowed TLS 1.2 suite', async () => {
    assert.equal(await handshake(serving.port, { maxVersion: 'TLSv1.2' }), 'TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256');
  });
  it('refuses a TLS 1.2 client offering only other suites', async () => {
    assert.match(await handshake(serving.port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' }), /^error: /);
  });
  it('keeps TLS 1.3 on, as Go does', async () => {
    assert.match(await handshake(serving.port, {}), /^TLSv1\.3 TLS_/);
  });
  it('refuses a client that only offers a curve outside --tls-curve-preferences', async () => {
    assert.match(await handshake(serving.port, { ecdhCurve: 'X25519' }), /^error: /);
  });
  it('refuses TLS 1.2 when the minimum is TLS 1.3', async () => {
    const strict = await startServing({
      bindAddress: '127.0.0.1',
      securePort: await freePort(),
      alwaysAllowPaths: DEFAULT_ALWAYS_ALLOW_PATHS,
      tls: tlsServerOptions({ ...none, minVersion: 'VersionTLS13' }),
      metrics: createManagerMetrics({ processMetrics: false }),
      healthz: [],
      readyz: [],
      livez: [],
      logger: noopLogger,
    });
    try {
      assert.match(await handshake(strict.port, { maxVersion: 'TLSv1.2' }), /^error: /);
      assert.match(await handshake(strict.port, {}), /^TLSv1\.3 /);
    } finally {
      await strict.close();
    }
  });
});
