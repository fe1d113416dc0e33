/**
 * Linking a short-lived AbortController (one request) to a long-lived AbortSignal (a controller's
 * stop signal) without piling anything onto the long-lived one. `AbortSignal.any` keeps every
 * dependent registered on its sources (Node 20 frees none of them while the source lives), and a
 * listener per request trips Node's max-listeners warning past ten in flight.
 *
 * @module
 */

/** The calls in flight under each caller signal; one listener per signal aborts them all. */
const children = new WeakMap<AbortSignal, Set<AbortController>>();

/**
 * Aborts `child` when `parent` aborts, until the returned function is called. Every call under one
 * parent shares a single listener on it: a listener per call would pile up on a signal with many
 * calls in flight (Node warns past ten) and cost a registration per call.
 */
export function linkAbort(parent: AbortSignal | undefined, child: AbortController): () => void {
  if (parent === undefined) return () => {};
  if (parent.aborted) {
    child.abort(parent.reason);
    return () => {};
  }
  let set = children.get(parent);
  if (set === undefined) {
    const created = new Set<AbortController>();
    set = created;
    children.set(parent, created);
    parent.addEventListener(
      'abort',
      () => {
        children.delete(parent);
        for (const c of created) c.abort(parent.reason);
      },
      { once: true },
    );
  }
  set.add(child);
  const own = set;
  return () => {
    own.delete(child);
  };
}
