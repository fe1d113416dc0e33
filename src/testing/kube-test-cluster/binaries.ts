/**
 * Where the test cluster's binaries are: built by `scripts/kube-build.sh` into a cache outside
 * the repository, named by `$OUTRIGGER_KUBE_BIN_DIR` (set by `npm run test:e2e`) or an option.
 *
 * @module
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

/** Paths of the two server binaries. */
export interface KubeBinaries {
  readonly dir: string;
  readonly etcd: string;
  readonly kubeApiserver: string;
}

/** The environment variable naming the binaries' directory. */
export const KUBE_BIN_DIR_ENV = 'OUTRIGGER_KUBE_BIN_DIR';

/** Finds `etcd` and `kube-apiserver` in `dir` (default `$OUTRIGGER_KUBE_BIN_DIR`), or says how to build them. */
export function findKubeBinaries(dir: string | undefined = process.env[KUBE_BIN_DIR_ENV]): KubeBinaries {
  const howTo = 'build them with `bash scripts/kube-build.sh` (Go >= 1.26 and the Go module proxy, first run only) and set ' +
    `${KUBE_BIN_DIR_ENV} to the directory it prints, or run \`npm run test:e2e\`, which does both`;
  if (dir === undefined || dir === '') throw new Error(`no kube-apiserver/etcd binaries: ${KUBE_BIN_DIR_ENV} is not set; ${howTo}`);
  const binaries = { dir, etcd: join(dir, 'etcd'), kubeApiserver: join(dir, 'kube-apiserver') };
  for (const path of [binaries.etcd, binaries.kubeApiserver]) {
    try {
      accessSync(path, constants.X_OK);
    } catch {
      throw new Error(`no executable ${path}; ${howTo}`);
    }
  }
  return binaries;
}
