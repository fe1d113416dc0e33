import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, Socket } from 'node:net';
import type { Server } from 'node:net';
import { adoptAccepted } from './adopt-accepted.js';

// Addresses used only by this file.
const HOST = '127.0.87.1';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
});

async function acceptOne(): Promise<{ server: Server; client: Socket; accepted: Socket }> {
  let onAccept: ((s: Socket) => void) | undefined;
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (s) => onAccept?.(s));
  await new Promise<void>((r) => server.listen(0, HOST, r));
  cleanups.push(() => server.close());
  const acceptedP = new Promise<Socket>((r) => (onAccept = r));
  const client = connect({ host: HOST, port: (server.address() as { port: number }).port, allowHalfOpen: true });
  cleanups.push(() => client.destroy());
  const accepted = await acceptedP;
  return { server, client, accepted };
}

describe('adoptAccepted', () => {
  // This test failing means a Node release changed how accepted sockets are built: the load
  // balancer then falls back to Node's allocating reads (correct, but slower: docs/local-provider.md).
  it('this Node: an accepted connection moves into a socket that reads into our buffer, both ways intact', async () => {
    const { server, client, accepted } = await acceptOne();
    const ours = Buffer.alloc(8);
    const got: string[] = [];
    const adopted = adoptAccepted(accepted, { buffer: ours, callback: (n, buf) => got.push(`${buf === ours}:${buf.subarray(0, n).toString()}`) > 0 }, { allowHalfOpen: true });
    assert.ok(adopted !== undefined, 'adopted');
    cleanups.push(() => adopted.destroy());
    const ended = new Promise((r) => adopted.once('end', r));
    client.end('0123456789');
    await ended;
    assert.deepEqual(got.map((g) => g.split(':')[0]), got.map(() => 'true'), 'every read landed in our buffer');
    assert.equal(got.map((g) => g.split(':')[1]).join(''), '0123456789');
    // The server counts the connection off (the accepted socket is closed, not the connection).
    await new Promise((r) => setImmediate(r));
    const count = await new Promise<number>((r, j) => server.getConnections((e, n) => (e ? j(e) : r(n))));
    assert.equal(count, 0);
    // Writing and closing go through the adopted socket.
    let back = '';
    client.setEncoding('utf8');
    client.on('data', (d: string) => (back += d));
    const clientEnded = new Promise((r) => client.once('end', r));
    adopted.end('answer');
    await clientEnded;
    assert.equal(back, 'answer');
  });

  it('a socket without a connection is not adopted, and is left as it was', () => {
    const lone = new Socket();
    cleanups.push(() => lone.destroy());
    assert.equal(adoptAccepted(lone, { buffer: Buffer.alloc(8), callback: () => true }, { allowHalfOpen: true }), undefined);
    assert.equal(lone.destroyed, false);
  });
});
