// `--only` / `only` at the provider level: an entry that selects no case is an error naming it,
// not a run of nothing that reports no failure (exit 0 for a typo).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { providerConformanceCases, runProviderConformance } from '../src/conformance/index.js';
import { runConformanceCommand } from '../src/cli/conformance.js';

describe('provider conformance: --only that names no case', () => {
  it('runProviderConformance and providerConformanceCases refuse it, naming the entry', async () => {
    await assert.rejects(runProviderConformance({ target: { cloudProvider: 'fake' }, fixture: {}, only: ['lb.nope'] }), /^Error: --only "lb\.nope": no provider case id contains it \(the ids: /);
    assert.throws(() => providerConformanceCases({ target: { cloudProvider: 'fake' }, fixture: {}, only: ['lb.nope'] }), /--only "lb\.nope": no provider case/);
  });

  it('the CLI exits 2 with one line', async () => {
    const out = new PassThrough();
    const err = new PassThrough();
    let text = '';
    err.on('data', (c: Buffer) => (text += c.toString()));
    const code = await runConformanceCommand(['provider', '--cloud-provider', 'fake', '--fixture', join(import.meta.dirname, '../src/conformance/testdata/fake-fixture.yaml'), '--only', 'lb.nope'], { stdout: out, stderr: err });
    assert.equal(code, 2);
    assert.match(text, /^outrigger conformance: --only "lb\.nope": no provider case id contains it .*\n$/);
  });
});
