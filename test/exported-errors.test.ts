// Every error class a public entry point exports can be constructed as its docs show — with and
// without options — and keeps `cause` when given. A new exported error class fails this test
// until it gets a row.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as root from '../src/index.js';
import * as testing from '../src/testing.js';
import * as local from '../src/providers/local/index.js';
import * as clientNode from '../src/kube/client-node/index.js';
import * as manager from '../src/manager/index.js';
import * as providers from '../src/providers/index.js';
import * as credentialProvider from '../src/credential-provider/index.js';
import * as conformance from '../src/conformance/index.js';

type Ctor = new (...args: never[]) => Error;
const cause = new Error('underlying');

/** Per class: arguments without options, and the same with `{ cause }` (when it takes options). */
const ROWS: Record<string, { plain: unknown[][]; withCause?: unknown[] }> = {
  CloudConfigFileError: { plain: [['/etc/cloud.conf']], withCause: ['/etc/cloud.conf', { cause }] },
  CloudProviderError: { plain: [] },
  DiskNotFoundError: { plain: [[], ['disk-1']], withCause: ['disk-1', { cause }] },
  InputFileError: { plain: [['--cloud-config', '/dev/zero', 'not-regular', 'is a character device, not a regular file']], withCause: ['--cloud-config', '/x', 'unreadable', 'cannot be read', { cause }] },
  ImplementedElsewhereError: { plain: [[], ['by the gateway controller']], withCause: [{ cause }] },
  InstanceNotFoundError: { plain: [[], ['vm-42 was terminated']], withCause: ['vm-42', { cause }] },
  NotImplementedError: { plain: [[], ['zones']], withCause: [{ cause }] },
  KubeApiError: { plain: [[404, 'NotFound', 'nodes "x" not found']], withCause: [500, 'InternalError', 'boom', { cause }] },
  ProviderContractError: { plain: [['acme', 'empty providerID']], withCause: ['acme', 'empty providerID', { cause }] },
  ProviderInitError: { plain: [['acme', 'bad config']], withCause: ['acme', 'bad config', { cause }] },
  ProviderModuleError: { plain: [['./acme.js', 'no exports']], withCause: ['./acme.js', 'no exports', { cause }] },
  ProviderRegistrationError: { plain: [['acme', 'taken']], withCause: ['acme', 'taken', { cause }] },
  RetryError: { plain: [['still provisioning', 5000]], withCause: ['still provisioning', 5000, { cause }] },
  RouteControllerConfigError: { plain: [['--cluster-cidr is required']] },
  UnknownProviderError: { plain: [['acme', ['fake', 'local']]] },
  WaitTimeoutError: { plain: [[]], withCause: [{ cause }] },
  FakeConfigError: { plain: [['fake.json', 'instances[0]', 'bad']] },
  AllocationError: { plain: [['Exhausted', 'pool "a" is full']] },
  LocalConfigError: { plain: [['local.yaml', 3, 'pools[0]', 'bad range']] },
  StateFileError: { plain: [['state.json: not JSON']] },
  KubeConfigError: { plain: [['no kubeconfig']], withCause: ['no kubeconfig', { cause }] },
  KubeTransportError: { plain: [['connection refused', { kind: 'network' }]] },
  SimulationSetupError: { plain: [['unknown kind "Pod"']], withCause: ['objects[0]: refused', { cause }] },
  CredentialProtocolError: { plain: [['request: unknown field "foo"']], withCause: ['request: bad', { cause }] },
  ResponseDecodeError: { plain: [['error decoding credential provider plugin response from stdout', 'unknown field "foo"']] },
  PluginExecError: { plain: [['/bin/plugin', 'registry.io/app', 'plugin failed', 'exit status 1']] },
  StrictJsonError: { plain: [['unexpected end of input', 0]] },
  ImageUrlError: { plain: [['invalid image "::"']], withCause: ['invalid image', { cause }] },
  BadGlobPatternError: { plain: [['[']] },
  ConformanceCheckError: { plain: [['lb.port-change: the load balancer still has port 80']], withCause: ['lb.create: no ingress', { cause }] },
  CaseSkipped: { plain: [['the fixture declares no UDP']] },
  ClusterConformanceError: { plain: [["the suite's own credentials may not list nodes"]], withCause: ['cannot reach the cluster at https://10.0.0.1:6443', { cause }] },
  ScenarioError: { plain: [[[{ file: 's.yaml', line: 3, path: 'steps[0]', message: 'bad' }]], [[]]] },
};

const exported = new Map<string, Ctor>();
for (const mod of [root, testing, local, clientNode, manager, providers, credentialProvider, conformance] as Record<string, unknown>[]) {
  for (const [name, value] of Object.entries(mod)) {
    if (typeof value === 'function' && value.prototype instanceof Error) exported.set(name, value as Ctor);
  }
}

describe('exported error classes', () => {
  it('every exported error class has a row here', () => {
    assert.deepEqual([...exported.keys()].filter((n) => ROWS[n] === undefined), []);
  });
  for (const [name, Class] of exported) {
    const row = ROWS[name];
    if (row === undefined) continue;
    it(`${name} constructs without options${row.withCause === undefined ? '' : ', and keeps cause with them'}`, () => {
      if (name === 'CloudProviderError') return; // abstract: its subclasses are the rows
      for (const args of row.plain) {
        const err = new Class(...(args as never[]));
        assert.ok(err instanceof Error && err.message !== '', `${name}(${JSON.stringify(args)})`);
        assert.equal('cause' in err, false);
      }
      if (row.withCause !== undefined) {
        const err = new Class(...(row.withCause as never[]));
        assert.equal(err.cause, cause);
      }
    });
  }
  it('a sentinel given a message keeps upstream text first and adds the detail', () => {
    assert.equal(new root.InstanceNotFoundError('vm-42 was terminated').message, 'instance not found: vm-42 was terminated');
    assert.equal(new root.InstanceNotFoundError().message, 'instance not found');
    assert.equal(new root.InstanceNotFoundError('vm-42', { cause }).code, 'InstanceNotFound');
  });
});
