// scripts/kube-build.sh on bad input: it names what is missing and leaves no partial build.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/ccm-process.js';

function build(env: Record<string, string>): { code: number; stderr: string; cache: string[] } {
  const cache = mkdtempSync(join(tmpdir(), 'outrigger-kube-build-'));
  try {
    const r = spawnSync('bash', [join(REPO_ROOT, 'scripts/kube-build.sh')], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', OUTRIGGER_CACHE_DIR: cache, ...env }, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status ?? -1, stderr: r.stderr, cache: readdirSync(cache) };
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

describe('scripts/kube-build.sh on bad input', () => {
  it('says Go is missing', () => {
    const r = build({ OUTRIGGER_GO: '/nonexistent/go' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^kube-build: Go is not installed \(need Go >= 1\.26; put it on PATH or at \/usr\/local\/go\)$/m);
    assert.deepEqual(r.cache, []);
  });

  it('says Go is too old, naming the version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outrigger-old-go-'));
    try {
      writeFileSync(join(dir, 'go'), '#!/bin/sh\n[ "$1 $2" = "env GOVERSION" ] && echo go1.22.4\n');
      chmodSync(join(dir, 'go'), 0o755);
      const r = build({ OUTRIGGER_GO: join(dir, 'go') });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /kube-build: go1\.22\.4 is too old: kubernetes v1\.37\.2 needs Go >= 1\.26/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says the module proxy is unreachable when modules cannot be downloaded, and leaves no partial build', () => {
    const modcache = mkdtempSync(join(tmpdir(), 'outrigger-empty-modcache-'));
    try {
      const r = build({ GOPROXY: 'off', GOMODCACHE: modcache, GOFLAGS: '-modcacherw' });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /kube-build: downloading modules failed \(is the Go module proxy reachable\? GOPROXY=off\)/);
      assert.deepEqual(r.cache, [], 'the staging dir is removed');
    } finally {
      rmSync(modcache, { recursive: true, force: true });
    }
  });
});
