import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { FakeClock } from '../kube/clock.js';
import { sandboxCertificates } from './sandbox-certificates.js';

describe('sandbox certificates', () => {
  it('a CA, and a serving certificate it signed for localhost, the loopback addresses and the host', async () => {
    const clock = new FakeClock(Date.UTC(2026, 5, 1));
    const certs = await sandboxCertificates('127.0.0.9', clock);
    const ca = new X509Certificate(certs.caCert);
    const serving = new X509Certificate(certs.cert);
    assert.equal(ca.ca, true);
    assert.equal(serving.ca, false);
    assert.equal(serving.checkIssued(ca), true);
    assert.equal(serving.verify(ca.publicKey), true);
    assert.equal(serving.checkIP('127.0.0.9'), '127.0.0.9');
    assert.equal(serving.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(serving.checkHost('localhost'), 'localhost');
    assert.equal(serving.checkIP('127.0.0.10'), undefined);
    // Valid from an hour before the clock's now (skew), for a year.
    assert.equal(Date.parse(serving.validFrom), Date.UTC(2026, 4, 31, 23));
    assert.equal(Date.parse(serving.validTo), Date.UTC(2027, 5, 1));
    assert.equal(serving.checkPrivateKey((await import('node:crypto')).createPrivateKey(certs.key)), true);
  });

  it('every run has its own CA', async () => {
    const clock = new FakeClock();
    const [a, b] = await Promise.all([sandboxCertificates('127.0.0.1', clock), sandboxCertificates('127.0.0.1', clock)]);
    assert.notEqual(new X509Certificate(a?.caCert ?? '').fingerprint256, new X509Certificate(b?.caCert ?? '').fingerprint256);
    assert.equal(new X509Certificate(b?.cert ?? '').verify(new X509Certificate(a?.caCert ?? '').publicKey), false, 'signed by its own CA only');
  });
});
