// Every CLI path flushes before it exits: a large `--output json` read through a pipe arrives
// whole (it used to be cut at a multiple of 64 KiB when the reader was slower than the writer).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/ccm-process.js';

const NODES = 600;

function scenario(): string {
  const objects = Array.from({ length: NODES }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `node-${i}`, labels: { 'example.com/rack': `rack-${i % 17}` } },
    spec: { taints: [{ key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' }] },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  }));
  const instances = objects.map((o) => ({ nodeName: o.metadata.name, instanceType: 'small', zone: 'z1', region: 'r1' }));
  return JSON.stringify({ name: 'large output', provider: { name: 'fake', config: { capabilities: ['instancesV2'], instances } }, manager: { controllers: ['cloud-node'] }, objects, steps: [{ settle: { within: '1m' } }] });
}

describe('CLI output through a pipe', () => {
  it('outrigger simulate --output json of several hundred KiB arrives whole through a pipe', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-flush-'));
    try {
      const file = join(dir, 'large.yaml');
      await writeFile(file, scenario());
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'simulate', file, '--output', 'json'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      const chunks: Buffer[] = [];
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      // Read only after the child has written its first chunk and the pipe has filled: a reader
      // slower than the writer, as jq is.
      child.stdout.pause();
      child.stdout.once('readable', () => child.stdout.resume());
      child.stdout.on('data', (c: Buffer) => chunks.push(c));
      const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
      const text = Buffer.concat(chunks).toString('utf8');
      assert.equal(code, 0, stderr);
      assert.ok(text.length > 4 * 65536, `output is ${text.length} bytes: too small to show truncation`);
      const report = JSON.parse(text) as { passed?: boolean; objects?: { nodes?: unknown[] } };
      assert.equal(report.passed, true);
      assert.equal(report.objects?.nodes?.length, NODES);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
