/**
 * The program end of a lab host's IPC channel (see agent-client.ts for the test's end): each
 * message `{ id, op, ... }` runs `handlers[op]` and is answered `{ id, ok, value }` or
 * `{ id, ok: false, error }`.
 *
 * @module
 */

/** What a lab host program does for each request. */
export type OpHandlers = Record<string, (msg: Record<string, unknown>) => unknown>;

/** Answers the test's requests with `handlers` for as long as the IPC channel is open. */
export function serveOps(handlers: OpHandlers): void {
  process.on('message', (msg: Record<string, unknown> & { id: number; op: string }) => {
    void (async () => {
      try {
        const handler = handlers[msg.op];
        if (handler === undefined) throw new Error(`unknown op ${msg.op}`);
        process.send?.({ id: msg.id, ok: true, value: await handler(msg) });
      } catch (err) {
        process.send?.({ id: msg.id, ok: false, error: (err as Error).message });
      }
    })();
  });
}
