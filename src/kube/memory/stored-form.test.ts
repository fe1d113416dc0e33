import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FakeClock } from '../clock.js';
import { cloneJson, deepFreeze, isDeepFrozen } from '../json-value.js';
import type { JsonObject } from '../json-value.js';
import { SimulatedApiServer } from './simulated-api-server.js';
import { omitEmptyListsOf, omitNullMembersInPlace, toStoredForm, writableMember, writableTop } from './stored-form.js';
import { MIN_SIGHTINGS, builderFor } from './compact-object.js';

/** How many of the objects and arrays `value` reaches are (not) frozen. */
function count(value: unknown, frozen: boolean): number {
  if (typeof value !== 'object' || value === null) return 0;
  const own = Object.isFrozen(value) === frozen ? 1 : 0;
  return own + Object.values(value).reduce((n: number, v) => n + count(v, frozen), 0);
}
const unfrozen = (value: unknown): number => count(value, false);
const frozenParts = (value: unknown): number => count(value, true);

describe('stored form helpers', () => {
  it('omitNullMembersInPlace gives what a copy with omitNullMembers gives, in place (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const want = cloneJson(value, { omitNullMembers: true });
        const mine = cloneJson(value);
        const got = omitNullMembersInPlace(mine);
        assert.deepEqual(got, want);
        if (typeof mine === 'object' && mine !== null) assert.equal(got, mine, 'the same object, changed in place');
      }),
    );
  });

  it('omitNullMembersInPlace copies a frozen subtree only when it holds a null member', () => {
    const clean = deepFreeze({ a: 1, b: [null, { c: 2 }] });
    const dirty = deepFreeze({ a: null, b: 1 });
    const value: JsonObject = { clean, dirty };
    omitNullMembersInPlace(value);
    assert.equal(value['clean'], clean, 'shared as is');
    assert.deepEqual(value['dirty'], { b: 1 });
    assert.ok(Object.isFrozen(dirty) && dirty.a === null, 'the frozen original is untouched');
  });

  it('toStoredForm freezes what is not frozen, keeps frozen subtrees as they are, and rebuilds common shapes', () => {
    const shared = deepFreeze({ x: { y: [1, 2] } });
    for (let i = 0; i < MIN_SIGHTINGS + 2; i++) {
      const value = { own: { list: [{ z: i }] }, shared, 'odd key "\u2028': i };
      const stored = toStoredForm(value);
      assert.ok(isDeepFrozen(stored));
      assert.equal(unfrozen(stored), 0);
      assert.equal(stored.shared, shared, 'a frozen subtree is shared, not walked or copied');
      assert.deepEqual(stored, { own: { list: [{ z: i }] }, shared, 'odd key "\u2028': i });
      assert.deepEqual(Object.keys(stored), ['own', 'shared', 'odd key "\u2028']);
      // Once the shape was met often enough, objects of it are new ones built by its literal.
      if (i < MIN_SIGHTINGS - 1) assert.equal(stored, value, 'frozen in place');
      else assert.notEqual(stored, value, 'rebuilt');
    }
    assert.notEqual(builderFor(['own', 'shared', 'odd key "\u2028']), undefined);
  });

  it('toStoredForm gives an equal value with the same key order, frozen (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 3 }), { minLength: 1, maxLength: 12 }), (values) => {
        // Repeats make shapes common enough to be rebuilt.
        for (const value of [...values, ...values, ...values, ...values, ...values, ...values, ...values, ...values, ...values]) {
          const want = JSON.stringify(value);
          const stored = toStoredForm(cloneJson(value));
          assert.equal(JSON.stringify(stored), want);
          assert.ok(isDeepFrozen(stored));
        }
      }),
    );
  });

  it('toStoredForm still stores (frozen, equal) where code generation is disallowed, and makes no builder', () => {
    const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));
    const script = [
      `import { toStoredForm } from ${JSON.stringify(here('./stored-form.ts'))};`,
      `import { compactBuilderCount } from ${JSON.stringify(here('./compact-object.ts'))};`,
      'let last; for (let i = 0; i < 20; i++) last = toStoredForm({ a: i, b: { c: i } });',
      'console.log(JSON.stringify([last, Object.isFrozen(last) && Object.isFrozen(last.b), compactBuilderCount()]));',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout) as unknown, [{ a: 19, b: { c: 19 } }, true, 0]);
  });

  it('toStoredForm keeps an own `__proto__` member as a member (never as the prototype)', () => {
    for (let i = 0; i < MIN_SIGHTINGS + 2; i++) {
      const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as JsonObject;
      const stored = toStoredForm(value);
      assert.equal(Object.getPrototypeOf(stored), Object.prototype);
      assert.deepEqual(Object.keys(stored), ['__proto__', 'a']);
      assert.equal(({} as JsonObject)['polluted'], undefined);
    }
    assert.equal(builderFor(['__proto__', 'a']), undefined);
  });

  it('writableMember copies a frozen member before it is written, and hands out an unfrozen one as is', () => {
    const frozen = deepFreeze({ ports: [{ port: 80 }] });
    const obj: JsonObject = { spec: frozen, status: { own: true } };
    const spec = writableMember(obj, 'spec');
    assert.notEqual(spec, frozen);
    assert.equal(unfrozen(spec), 3);
    assert.equal(obj['spec'], spec);
    assert.equal(writableMember(obj, 'status'), obj['status']);
    assert.equal(writableMember(obj, 'missing'), undefined);
  });

  it('writableTop copies a frozen member one level deep, its members shared, an own __proto__ kept a member', () => {
    const labels = deepFreeze({ a: '1' });
    const meta = Object.freeze(JSON.parse('{"name":"n","labels":{},"__proto__":{"x":1}}') as JsonObject);
    const frozen: JsonObject = Object.freeze({ ...meta, labels });
    const obj: JsonObject = { metadata: frozen };
    const own = writableTop(obj, 'metadata') as JsonObject;
    assert.notEqual(own, frozen);
    assert.equal(obj['metadata'], own);
    assert.ok(!Object.isFrozen(own));
    assert.equal(own['labels'], labels, 'members are shared, not copied');
    assert.deepEqual(Object.keys(own), ['name', 'labels', '__proto__']);
    assert.equal(Object.getPrototypeOf(own), Object.prototype);
    own['resourceVersion'] = '2';
    assert.equal(frozen['resourceVersion'], undefined);
    assert.equal(writableTop(obj, 'metadata'), own, 'an unfrozen member is handed out as is');
  });
});

describe('SimulatedApiServer: writes share stored members without leaking them', () => {
  const lb = { metadata: { name: 'web', namespace: 'default' }, spec: { type: 'ClusterIP' as string, ports: [{ port: 80 }] } };

  it('a main write that makes a Service LoadBalancer defaults ipMode on the kept status (a copy, not the stored one)', async () => {
    const server = new SimulatedApiServer({ clock: new FakeClock() });
    const kube = server.client();
    await kube.services.create(lb);
    await kube.services.patchStatus({ namespace: 'default', name: 'web' }, { type: 'merge', body: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } } });
    const before = await kube.services.get({ namespace: 'default', name: 'web' });
    assert.equal(before.status?.loadBalancer?.ingress?.[0]?.ipMode, undefined, 'no ipMode default on a ClusterIP Service');
    const updated = await kube.services.update({ ...before, spec: { ...before.spec, type: 'LoadBalancer' } });
    assert.equal(updated.status?.loadBalancer?.ingress?.[0]?.ipMode, 'VIP');
    assert.equal((await kube.services.get({ namespace: 'default', name: 'web' })).status?.loadBalancer?.ingress?.[0]?.ipMode, 'VIP');
  });

  it('answers of status writes, dry runs and deletes are private mutable copies', async () => {
    const server = new SimulatedApiServer({ clock: new FakeClock() });
    const kube = server.client();
    await kube.services.create({ ...lb, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });
    const key = { namespace: 'default', name: 'web' };
    const written = await kube.services.patchStatus(key, { type: 'merge', body: { metadata: { finalizers: ['example.com/x'] } } });
    const dry = await kube.services.patchStatus(key, { type: 'merge', body: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.9' }] } } } }, { dryRun: true });
    for (const answer of [written, dry]) {
      assert.equal(frozenParts(answer), 0, 'nothing in an answer is shared with the store');
      (answer.spec?.ports ?? [])[0]!.port = 1;
    }
    assert.equal((await kube.services.get(key)).spec?.ports?.[0]?.port, 80, 'the store is untouched');
    await kube.services.delete(key);
    const removed = await kube.services.patchStatus(key, { type: 'merge', body: { metadata: { finalizers: null } } });
    assert.equal(Object.isFrozen(removed.spec), false);
    assert.equal(server.objects({ group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true, hasStatus: true }).length, 0);
  });
});

describe('omitEmptyListsOf', () => {
  it('drops emptied lists at any depth of a core object, only metadata lists of another group, and leaves frozen subtrees alone', () => {
    const node = { metadata: { name: 'n1', finalizers: [] }, spec: { taints: [], podCIDRs: ['10.0.0.0/24'] }, status: { conditions: [{ type: 'Ready', reasons: [] }] } };
    omitEmptyListsOf('', node);
    assert.deepEqual(node, { metadata: { name: 'n1' }, spec: { podCIDRs: ['10.0.0.0/24'] }, status: { conditions: [{ type: 'Ready' }] } });
    const role = { metadata: { name: 'r', finalizers: [] }, rules: [] };
    omitEmptyListsOf('rbac.authorization.k8s.io', role);
    assert.deepEqual(role, { metadata: { name: 'r' }, rules: [] }, "a Role's rules are not omitempty");
    const shared = Object.freeze({ items: Object.freeze([]) });
    const withShared = { spec: shared };
    omitEmptyListsOf('', withShared);
    assert.equal(withShared.spec, shared);
  });
});
