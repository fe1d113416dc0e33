import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InputFileError } from '../../input/read-input-file.js';
import { LeaderMigrationConfigError, loadLeaderMigrationConfigFile, parseLeaderMigrationConfig } from './config.js';

const FILE = '/etc/kubernetes/leader-migration.yaml';

function parseError(text: string): LeaderMigrationConfigError {
  try {
    parseLeaderMigrationConfig(text, FILE);
  } catch (err) {
    assert.ok(err instanceof LeaderMigrationConfigError, `expected LeaderMigrationConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the config to be rejected');
}

// Cases named after upstream's TestReadLeaderMigrationConfiguration / TestValidateLeaderMigrationConfiguration.
describe('parseLeaderMigrationConfig (TestReadLeaderMigrationConfiguration)', () => {
  const rejected: { name: string; text: string; field: string; line: number; col: number; message: RegExp }[] = [
    { name: 'empty', text: '', field: '', line: 1, col: 1, message: /empty document/ },
    {
      name: 'wrong type',
      text: 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n',
      field: 'apiVersion',
      line: 1,
      col: 13,
      message: /unsupported apiVersion "kubelet.config.k8s.io\/v1beta1"/,
    },
    {
      name: 'wrong kind in the right group',
      text: 'apiVersion: controllermanager.config.k8s.io/v1\nkind: GenericControllerManagerConfiguration\n',
      field: 'kind',
      line: 2,
      col: 7,
      message: /unexpected kind "GenericControllerManagerConfiguration"; expected LeaderMigrationConfiguration/,
    },
    {
      name: 'unknown field causes error with strict validation',
      text: 'apiVersion: controllermanager.config.k8s.io/v1alpha1\nkind: LeaderMigrationConfiguration\nleaderName: migration-120-to-121\nresourceLock: leases\nfoo: bar\n',
      field: 'foo',
      line: 5,
      col: 1,
      message: /: foo: unknown field$/,
    },
    {
      name: 'duplicate field causes error with strict validation',
      text: 'apiVersion: controllermanager.config.k8s.io/v1alpha1\nkind: LeaderMigrationConfiguration\nleaderName: migration-120-to-121\nresourceLock: leases\nresourceLock: endpoints1\n',
      field: '',
      line: 5,
      col: 1,
      message: /YAML syntax error: Map keys must be unique/,
    },
    {
      name: 'resourceLock is unknown in v1',
      text: 'apiVersion: controllermanager.config.k8s.io/v1\nkind: LeaderMigrationConfiguration\nleaderName: m\nresourceLock: leases\n',
      field: 'resourceLock',
      line: 4,
      col: 1,
      message: /unknown field \(controllermanager.config.k8s.io\/v1 always uses leases/,
    },
    {
      name: 'endpoints (accepted upstream, but client-go removed the lock)',
      text: 'apiVersion: controllermanager.config.k8s.io/v1alpha1\nkind: LeaderMigrationConfiguration\nleaderName: m\nresourceLock: endpoints\n',
      field: 'resourceLock',
      line: 4,
      col: 15,
      message: /endpoints lock was removed from client-go; use "leases"/,
    },
    {
      name: 'invalid resourceLock',
      text: 'apiVersion: controllermanager.config.k8s.io/v1beta1\nkind: LeaderMigrationConfiguration\nleaderName: m\nresourceLock: configmaps\n',
      field: 'resourceLock',
      line: 4,
      col: 15,
      message: /resource lock must be "leases", got "configmaps"/,
    },
    {
      name: 'missing resourceLock in v1beta1',
      text: 'apiVersion: controllermanager.config.k8s.io/v1beta1\nkind: LeaderMigrationConfiguration\nleaderName: m\n',
      field: 'resourceLock',
      line: 1,
      col: 1,
      message: /resource lock must be "leases", got ""/,
    },
    {
      name: 'empty name',
      text: 'apiVersion: controllermanager.config.k8s.io/v1\nkind: LeaderMigrationConfiguration\nleaderName: ""\n',
      field: 'leaderName',
      line: 3,
      col: 13,
      message: /leaderName must be set/,
    },
    {
      name: 'missing leaderName',
      text: 'apiVersion: controllermanager.config.k8s.io/v1\nkind: LeaderMigrationConfiguration\n',
      field: 'leaderName',
      line: 1,
      col: 1,
      message: /leaderName must be set/,
    },
    {
      name: 'controller leader without component',
      text: 'apiVersion: controllermanager.config.k8s.io/v1\nkind: LeaderMigrationConfiguration\nleaderName: m\ncontrollerLeaders:\n  - name: node-route-controller\n    component: "*"\n  - name: service-lb-controller\n',
      field: 'controllerLeaders[1].component',
      line: 7,
      col: 5,
      message: /required field is missing/,
    },
    {
      name: 'controller leader with empty name',
      text: 'apiVersion: controllermanager.config.k8s.io/v1\nkind: LeaderMigrationConfiguration\nleaderName: m\ncontrollerLeaders:\n  - name: ""\n    component: "*"\n',
      field: 'controllerLeaders[0].name',
      line: 5,
      col: 11,
      message: /required value/,
    },
    {
      name: 'unknown field in a controller leader',
      text: 'apiVersion: controllermanager.config.k8s.io/v1\nkind: LeaderMigrationConfiguration\nleaderName: m\ncontrollerLeaders:\n  - name: a\n    component: "*"\n    lock: x\n',
      field: 'controllerLeaders[0].lock',
      line: 7,
      col: 5,
      message: /unknown field/,
    },
    {
      name: 'wrong type for controllerLeaders',
      text: 'apiVersion: controllermanager.config.k8s.io/v1\nkind: LeaderMigrationConfiguration\nleaderName: m\ncontrollerLeaders: node-route-controller\n',
      field: 'controllerLeaders',
      line: 4,
      col: 20,
      message: /expected a list, got "node-route-controller"/,
    },
    {
      name: 'missing kind',
      text: 'apiVersion: controllermanager.config.k8s.io/v1\nleaderName: m\n',
      field: 'kind',
      line: 1,
      col: 1,
      message: /required field is missing/,
    },
    { name: 'not a mapping', text: '- a\n- b\n', field: '', line: 1, col: 1, message: /expected a mapping/ },
    { name: 'YAML syntax error', text: 'apiVersion: [\n', field: '', line: 2, col: 1, message: /YAML syntax error/ },
  ];
  for (const c of rejected) {
    it(`rejects: ${c.name}`, () => {
      const err = parseError(c.text);
      assert.equal(err.field, c.field);
      assert.equal(err.file, FILE);
      assert.deepEqual([err.line, err.column], [c.line, c.col]);
      assert.match(err.message, c.message);
      assert.ok(err.message.includes(`${FILE}:${c.line}:${c.col}`), err.message);
    });
  }

  it('parses basic (v1alpha1 with resourceLock leases)', () => {
    const cfg = parseLeaderMigrationConfig(
      'apiVersion: controllermanager.config.k8s.io/v1alpha1\nkind: LeaderMigrationConfiguration\nleaderName: migration-120-to-121\nresourceLock: leases\ncontrollerLeaders: []\n',
    );
    assert.deepEqual(cfg, {
      apiVersion: 'controllermanager.config.k8s.io/v1alpha1',
      kind: 'LeaderMigrationConfiguration',
      leaderName: 'migration-120-to-121',
      resourceLock: 'leases',
      controllerLeaders: [],
    });
  });

  it('parses withLeaders (v1, lock implied leases, order kept)', () => {
    const cfg = parseLeaderMigrationConfig(
      [
        'apiVersion: controllermanager.config.k8s.io/v1',
        'kind: LeaderMigrationConfiguration',
        'leaderName: migration-120-to-121',
        'controllerLeaders:',
        '  - name: node-route-controller',
        '    component: "*"',
        '  - name: service-lb-controller',
        '    component: kube-controller-manager',
      ].join('\n'),
    );
    assert.equal(cfg.resourceLock, 'leases');
    assert.deepEqual(cfg.controllerLeaders, [
      { name: 'node-route-controller', component: '*' },
      { name: 'service-lb-controller', component: 'kube-controller-manager' },
    ]);
  });

  it('accepts JSON and a missing or null controllerLeaders as empty (empty controllerLeaders (valid))', () => {
    const json = parseLeaderMigrationConfig('{"apiVersion":"controllermanager.config.k8s.io/v1beta1","kind":"LeaderMigrationConfiguration","leaderName":"m","resourceLock":"leases"}');
    assert.deepEqual(json.controllerLeaders, []);
    const nul = parseLeaderMigrationConfig('apiVersion: controllermanager.config.k8s.io/v1\nkind: LeaderMigrationConfiguration\nleaderName: m\ncontrollerLeaders:\n');
    assert.deepEqual(nul.controllerLeaders, []);
  });

  // Before: `doc.toJS()` threw a bare ReferenceError ("Excessive alias count"): exit 1 with a stack.
  it('refuses an alias bomb with one line naming the file', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');
    const err = parseError(bomb);
    assert.match(err.message, /^invalid leader migration configuration \/etc\/kubernetes\/leader-migration\.yaml: YAML aliases expand to too many nodes/);
  });

  // Before: the manager read --leader-migration-config with an unbounded readFile.
  it('reads the file bounded, naming --leader-migration-config', async () => {
    await assert.rejects(loadLeaderMigrationConfigFile('/dev/zero'), (err: unknown) => err instanceof InputFileError && /^--leader-migration-config: "\/dev\/zero" is a character device/.test(err.message));
  });

  it('reports a placeholder file name when none is given', () => {
    assert.throws(() => parseLeaderMigrationConfig('kind: x\napiVersion: y\n'), /<leader-migration-config>:2:13: apiVersion: unsupported apiVersion "y"/);
  });

  it('round-trips any valid configuration through JSON (property)', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
    fc.assert(
      fc.property(
        fc.constantFrom('v1', 'v1beta1', 'v1alpha1'),
        name,
        fc.array(fc.record({ name, component: fc.constantFrom('*', 'kube-controller-manager', 'cloud-controller-manager') }), { maxLength: 6 }),
        (version, leaderName, controllerLeaders) => {
          const apiVersion = `controllermanager.config.k8s.io/${version}`;
          const doc = { apiVersion, kind: 'LeaderMigrationConfiguration', leaderName, controllerLeaders, ...(version === 'v1' ? {} : { resourceLock: 'leases' }) };
          const cfg = parseLeaderMigrationConfig(JSON.stringify(doc, null, 2));
          assert.deepEqual(cfg, { apiVersion, kind: 'LeaderMigrationConfiguration', leaderName, resourceLock: 'leases', controllerLeaders: controllerLeaders.map((l) => ({ ...l })) });
        },
      ),
      { numRuns: 200 },
    );
  });
});
