import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket } from 'node:dgram';
import { FakeClock } from '../../kube/clock.js';
import { BackendPicker } from './backend-picker.js';
import { UdpListener } from './udp-listener.js';

// Addresses used only by this file: the listener on 127.0.91.1, the node 127.0.92.1, others 127.0.93.x.
const LB = '127.0.91.1';
const NODE = '127.0.92.1';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
});

async function bound(host: string, port = 0): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(port, host, r));
  cleanups.push(() => s.close());
  return s;
}

function send(s: Socket, text: string, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => s.send(text, port, host, (err) => (err ? reject(err) : resolve())));
}

function next(s: Socket): Promise<{ text: string; from: RemoteInfo }> {
  return new Promise((resolve) => s.once('message', (m, from) => resolve({ text: m.toString(), from })));
}

async function start(nodePort: number): Promise<UdpListener> {
  const clock = new FakeClock();
  const picker = new BackendPicker({ clock, algorithm: 'round-robin' });
  picker.setBackends([{ node: 'n1', host: NODE, port: nodePort }]);
  const probe = await bound(LB);
  const port = probe.address().port;
  await new Promise<void>((r) => probe.close(() => r()));
  cleanups.pop();
  const listener = new UdpListener({ address: LB, family: 4, port, picker, clock, idleTimeoutMs: 60_000, filter: { ranges: [], allows: () => true } });
  await listener.listen();
  cleanups.push(() => listener.destroyAll());
  return listener;
}

describe('UdpListener (real sockets on loopback)', () => {
  it('a session relays only its node\'s datagrams: one sent to its socket from elsewhere never reaches the client', async () => {
    const node = await bound(NODE);
    let session: RemoteInfo | undefined;
    node.on('message', (m, from) => {
      session = from;
      node.send(`echo ${m.toString()}`, from.port, from.address);
    });
    const listener = await start(node.address().port);
    const client = await bound('127.0.93.1');

    const first = next(client);
    await send(client, 'one', listener.port, LB);
    assert.equal((await first).text, 'echo one');
    assert.ok(session !== undefined, 'the node saw the session socket');

    // Someone else on the host writes to the session's socket, then the client asks again: were
    // the stranger's datagram relayed, it would reach the client first (it was queued first).
    const stranger = await bound('127.0.93.2');
    await send(stranger, 'spoofed', session.port, session.address);
    const second = next(client);
    await send(client, 'two', listener.port, LB);
    const got = await second;
    assert.equal(got.text, 'echo two');
    assert.equal(got.from.address, LB);
    assert.equal(listener.connections, 1);
  });
});
