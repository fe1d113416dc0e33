/**
 * The serving certificate: `--tls-cert-file`/`--tls-private-key-file` when given; otherwise a
 * self-signed one — kept in `--cert-dir` as `<pair>.crt`/`<pair>.key` when that is set (reused
 * on the next start, written when missing, as upstream's `MaybeDefaultWithSelfSignedCerts`), or
 * generated in memory at start-up when it is not (so a read-only root filesystem stays read-only).
 *
 * @module
 */
import { errorMessage } from '../../log/error-message.js';
import { chmod, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { ensureDirectory } from '../../input/ensure-directory.js';
import { oneLine } from '../../input/one-line.js';
import { InputFileError, readInputText } from '../../input/read-input-file.js';
import type { Clock } from '../../kube/clock.js';

/** A PEM certificate chain and its private key. */
export interface ServingCertificate {
  readonly cert: string;
  readonly key: string;
  /** `self-signed` or the certificate file's path, for the log. */
  readonly source: string;
}

/** A certificate or key file could not be used. */
export class ServingCertError extends Error {
  override readonly name = 'ServingCertError';
  /** The operator's input is at fault: the manager prints the message alone and exits 2. */
  readonly isInputError = true;
  /** The flag at fault. */
  readonly flag: string;

  constructor(flag: string, message: string, options?: ErrorOptions) {
    super(oneLine(message), options);
    this.flag = flag;
  }
}

/** Reads the configured pair, or generates a self-signed certificate valid for a year. */
export async function loadServingCertificate(o: {
  readonly tlsCertFile?: string;
  readonly tlsPrivateKeyFile?: string;
  readonly bindAddress: string;
  readonly clock: Clock;
  /** The flags named in errors (default `--tls-cert-file` / `--tls-private-key-file` / `--cert-dir`). */
  readonly flags?: { readonly cert: string; readonly key: string; readonly certDir?: string };
  /** `--cert-dir`: where the self-signed pair is kept; empty or absent keeps it in memory. */
  readonly certDir?: string;
  /** File name stem of the pair in `certDir` (upstream: `cloud-controller-manager`). */
  readonly pairName?: string;
}): Promise<ServingCertificate> {
  const certFile = o.tlsCertFile ?? '';
  const keyFile = o.tlsPrivateKeyFile ?? '';
  const { cert: certFlag, key: keyFlag } = o.flags ?? { cert: '--tls-cert-file', key: '--tls-private-key-file' };
  if (certFile !== '' || keyFile !== '') {
    // As upstream's validation: the two flags come together.
    if (certFile === '') throw new ServingCertError(certFlag, `${certFlag} is required when ${keyFlag} is set`);
    if (keyFile === '') throw new ServingCertError(keyFlag, `${keyFlag} is required when ${certFlag} is set`);
    // One after the other, so the error names the first bad flag deterministically.
    const cert = await read(certFlag, certFile);
    const key = await read(keyFlag, keyFile);
    return { cert, key, source: certFile };
  }
  const certDir = o.certDir ?? '';
  if (certDir === '') return selfSigned(o.bindAddress, o.clock);
  return keptSelfSigned(certDir, o.pairName ?? 'cloud-controller-manager', o.flags?.certDir ?? '--cert-dir', o.bindAddress, o.clock);
}

/** Reuses `<dir>/<pair>.crt|key` when both can be read, else generates them and writes them there. */
async function keptSelfSigned(dir: string, pair: string, flag: string, bindAddress: string, clock: Clock): Promise<ServingCertificate> {
  const certPath = join(dir, `${pair}.crt`);
  const keyPath = join(dir, `${pair}.key`);
  try {
    const [cert, key] = await Promise.all([readInputText(certPath, { source: flag }), readInputText(keyPath, { source: flag })]);
    return { cert, key, source: certPath };
  } catch {
    // Missing or unreadable: generate a fresh pair, as upstream.
  }
  const generated = await selfSigned(bindAddress, clock);
  try {
    // One level at a time: fs.mkdir's recursive mode spins for ever under /proc.
    await ensureDirectory(dir, { source: flag });
    // Key first and private; each file appears whole (write then rename), so a crash never leaves half a pair readable.
    await writeAtomically(keyPath, generated.key, 0o600);
    await writeAtomically(certPath, generated.cert, 0o644);
  } catch (err) {
    const why = err instanceof InputFileError ? `${JSON.stringify(err.path)} ${err.detail}` : errorMessage(err);
    throw new ServingCertError(flag, `${flag}: cannot write the self-signed certificate to ${JSON.stringify(dir)}: ${why}`, { cause: err });
  }
  return { ...generated, source: `self-signed, written to ${certPath}` };
}

async function writeAtomically(path: string, text: string, mode: number): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, text, { mode });
  await chmod(temporary, mode);
  await rename(temporary, path);
}

/** A certificate or key file: a regular file of at most 4 MiB (a device or FIFO is refused, not read for ever). */
async function read(flag: string, path: string): Promise<string> {
  try {
    return await readInputText(path, { source: flag });
  } catch (err) {
    if (err instanceof InputFileError) throw new ServingCertError(flag, `${flag}: cannot read ${JSON.stringify(path)}: the file ${err.detail}`, { cause: err });
    throw new ServingCertError(flag, `${flag}: cannot read ${JSON.stringify(path)}: ${errorMessage(err)}`, { cause: err });
  }
}

/** A self-signed EC P-256 certificate for `localhost`, 127.0.0.1, ::1 and the bind address. */
async function selfSigned(bindAddress: string, clock: Clock): Promise<ServingCertificate> {
  const { generate } = await import('selfsigned');
  const now = clock.now();
  const ips = new Set(['127.0.0.1', '::1']);
  const names = new Set(['localhost']);
  // A wildcard bind address names no host; a specific one is how clients will reach us.
  if (isIP(bindAddress) !== 0) {
    if (bindAddress !== '0.0.0.0' && bindAddress !== '::') ips.add(bindAddress);
  } else if (bindAddress !== '') names.add(bindAddress);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    // Backdated an hour against clock skew, as upstream's self-signed helper does.
    notBeforeDate: new Date(now - 3_600_000),
    notAfterDate: new Date(now + 365 * 24 * 3_600_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...[...names].map((value) => ({ type: 2 as const, value })), ...[...ips].map((ip) => ({ type: 7 as const, ip }))],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private, source: 'self-signed' };
}
