import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../kube/clock.js';
import { ServingCertError, loadServingCertificate } from './tls.js';

describe('loadServingCertificate with --cert-dir', () => {
  it('writes the self-signed pair on first start (key private) and reuses it on the next', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-certdir-'));
    try {
      const certDir = join(dir, 'certs');
      const first = await loadServingCertificate({ bindAddress: '0.0.0.0', clock: new FakeClock(), certDir });
      assert.equal(first.source, `self-signed, written to ${join(certDir, 'cloud-controller-manager.crt')}`);
      assert.equal(await readFile(join(certDir, 'cloud-controller-manager.crt'), 'utf8'), first.cert);
      assert.equal(await readFile(join(certDir, 'cloud-controller-manager.key'), 'utf8'), first.key);
      assert.equal((await stat(join(certDir, 'cloud-controller-manager.key'))).mode & 0o777, 0o600);
      const second = await loadServingCertificate({ bindAddress: '0.0.0.0', clock: new FakeClock(), certDir });
      assert.equal(second.cert, first.cert, 'a restart keeps the certificate clients may have pinned');
      assert.equal(second.source, join(certDir, 'cloud-controller-manager.crt'));
      const webhook = await loadServingCertificate({ bindAddress: '0.0.0.0', clock: new FakeClock(), certDir, pairName: 'cloud-controller-manager-webhook' });
      assert.notEqual(webhook.cert, first.cert);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps the pair in memory without --cert-dir', async () => {
    assert.equal((await loadServingCertificate({ bindAddress: '0.0.0.0', clock: new FakeClock() })).source, 'self-signed');
  });

  it('names --cert-dir when the directory cannot be written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-certdir-'));
    try {
      const file = join(dir, 'a-file');
      await writeFile(file, 'not a directory');
      await assert.rejects(
        loadServingCertificate({ bindAddress: '0.0.0.0', clock: new FakeClock(), certDir: join(file, 'certs'), flags: { cert: '--webhook-tls-cert-file', key: '--webhook-tls-private-key-file', certDir: '--webhook-cert-dir' } }),
        (err: unknown) => err instanceof ServingCertError && err.flag === '--webhook-cert-dir' && /^--webhook-cert-dir: cannot write the self-signed certificate to /.test(err.message),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('loadServingCertificate with --cert-dir under /proc', () => {
  // Before: fs.mkdir({ recursive: true }) spun for ever on a /proc path.
  it('fails naming --cert-dir instead of spinning', async (t) => {
    if (!existsSync('/proc/self')) return t.skip('no /proc');
    await assert.rejects(
      loadServingCertificate({ bindAddress: '0.0.0.0', clock: new FakeClock(), certDir: '/proc/self/outrigger-certs' }),
      (err: unknown) => err instanceof ServingCertError && err.flag === '--cert-dir' && /^--cert-dir: cannot write the self-signed certificate to "\/proc\/self\/outrigger-certs": "\/proc\/self\/outrigger-certs" cannot be created/.test(err.message),
    );
  });
});

describe('loadServingCertificate with --tls-cert-file', () => {
  // Before: /dev/zero was read until the heap ran out, and a FIFO blocked start-up for ever.
  it('refuses a device or a FIFO as a certificate or key file, naming the flag (exit 2)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-tlsfile-'));
    try {
      const fifo = join(dir, 'key-fifo');
      const haveFifo = spawnSync('mkfifo', [fifo]).status === 0;
      await writeFile(join(dir, 'cert.pem'), 'not read beyond 4 MiB');
      await assert.rejects(
        loadServingCertificate({ bindAddress: '0.0.0.0', clock: new FakeClock(), tlsCertFile: '/dev/zero', tlsPrivateKeyFile: '/dev/zero' }),
        (err: unknown) => err instanceof ServingCertError && err.isInputError && err.flag === '--tls-cert-file' && /^--tls-cert-file: cannot read "\/dev\/zero": the file is a character device, not a regular file/.test(err.message),
      );
      if (haveFifo) {
        await assert.rejects(
          loadServingCertificate({ bindAddress: '0.0.0.0', clock: new FakeClock(), tlsCertFile: join(dir, 'cert.pem'), tlsPrivateKeyFile: fifo }),
          (err: unknown) => err instanceof ServingCertError && err.flag === '--tls-private-key-file' && /is a named pipe \(FIFO\)/.test(err.message),
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
