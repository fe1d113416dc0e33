import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '../clock.js';
import { KubeApiError } from '../errors.js';
import type { KubeObject } from '../resources.js';
import { HttpWatchStream } from './http-watch-stream.js';

/**
 * A real loopback server that writes `chunks` (each flushed on its own) and keeps the response
 * open; resolves with a watch stream over it and a promise of the server's socket closing.
 */
async function watchOver(chunks: readonly string[], maxFrameChars?: number) {
  let socketClosed!: () => void;
  const serverSocketClosed = new Promise<void>((resolve) => (socketClosed = resolve));
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.socket?.on('close', socketClosed);
    for (const chunk of chunks) res.write(chunk);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const req = request({ host: '127.0.0.1', port, path: '/api/v1/nodes?watch=true' });
  req.end();
  const [response] = (await once(req, 'response')) as [IncomingMessage];
  const stream = new HttpWatchStream<KubeObject>({ request: req, response }, { clock: new FakeClock(), ...(maxFrameChars === undefined ? {} : { maxFrameChars }) });
  return {
    stream,
    serverSocketClosed,
    close: async () => {
      stream.close();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

const frame = (name: string): string => JSON.stringify({ type: 'ADDED', object: { apiVersion: 'v1', kind: 'Node', metadata: { name } } });

describe('HttpWatchStream', () => {
  it('reads frames split across chunks and several frames in one chunk', async () => {
    const a = frame('a');
    const w = await watchOver([a.slice(0, 5), a.slice(5, 20), `${a.slice(20)}\n${frame('b')}\n\n${frame('c')}`, '\n']);
    try {
      const names: string[] = [];
      for await (const event of w.stream) {
        names.push(event.object.metadata?.name ?? '');
        if (names.length === 3) break;
      }
      assert.deepEqual(names, ['a', 'b', 'c']);
    } finally {
      await w.close();
    }
  });

  it('ends the watch with an internal-error Status when a frame outgrows the bound, holding no more of it, and drops the connection', async () => {
    const max = 1_000;
    const big = `{"type":"ADDED","object":{"metadata":{"name":"${'x'.repeat(3 * max)}"}}}`;
    // The oversized frame arrives in small pieces and never ends with a newline.
    const pieces = Array.from({ length: Math.ceil(big.length / 100) }, (_, i) => big.slice(i * 100, (i + 1) * 100));
    const w = await watchOver([`${frame('first')}\n`, ...pieces], max);
    try {
      const seen: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const event of w.stream) seen.push(event.object.metadata?.name ?? '');
        })(),
        (err: unknown) => err instanceof KubeApiError && err.status === 500 && /longer than maximum allowed size \(1000 characters\)/.test(err.message),
      );
      assert.deepEqual(seen, ['first'], 'the frames before it are delivered');
      // The client side dropped the connection: the server sees its socket close (the test's own
      // timeout bounds the wait).
      await w.serverSocketClosed;
    } finally {
      await w.close();
    }
  });
});
