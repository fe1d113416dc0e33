/**
 * Adding and removing the shutdown taint on a Node as upstream's `cloudnodeutil`
 * `AddOrUpdateTaintOnNode` / `RemoveTaintOffNode` do: `spec.taints` is atomic under a strategic
 * merge patch, so the patch carries the whole new list and a `resourceVersion` precondition, and
 * conflicts are retried (5 attempts from 100 ms, jitter 1.0) against a fresh read.
 *
 * @module
 */
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { TAINT_NODE_SHUTDOWN } from '../../cloud/constants.js';
import type { Backoff, BackoffDeps } from '../../kube/backoff.js';
import type { KubeClient } from '../../kube/client.js';
import { retryOnConflict } from '../../kube/retry.js';

/** The taint the lifecycle controller puts on shut-down nodes: no value, effect `NoSchedule`. */
export const SHUTDOWN_TAINT: Readonly<Taint> = Object.freeze({ key: TAINT_NODE_SHUTDOWN, effect: 'NoSchedule' });

/** Upstream `UpdateTaintBackoff`: 5 attempts 100 ms apart, up to 100 % jitter. */
export const UPDATE_TAINT_BACKOFF: Backoff = Object.freeze({ steps: 5, durationMs: 100, factor: 0, jitter: 1 });

function sameTaint(a: Readonly<Taint>, b: Readonly<Taint>): boolean {
  return a.key === b.key && a.effect === b.effect;
}

/**
 * Patches `node`'s taints to `next(taints)` unless it returns `undefined` (nothing to do). The
 * first attempt uses `cached` (upstream reads with `resourceVersion=0`, i.e. any cached copy);
 * a conflict re-reads the Node from the API. Resolves true if a patch was written.
 */
async function patchTaints(
  kube: KubeClient,
  cached: Readonly<Node>,
  next: (taints: readonly Taint[]) => Taint[] | undefined,
  deps: BackoffDeps,
): Promise<boolean> {
  const name = cached.metadata?.name ?? '';
  let node: Readonly<Node> | undefined = cached;
  return retryOnConflict(
    UPDATE_TAINT_BACKOFF,
    async () => {
      const current = node ?? (await kube.nodes.get({ name }, deps.signal === undefined ? {} : { signal: deps.signal }));
      node = undefined;
      const taints = next(current.spec?.taints ?? []);
      if (taints === undefined) return false;
      await kube.nodes.patch(
        { name },
        { type: 'strategic', body: { metadata: { resourceVersion: current.metadata?.resourceVersion ?? '' }, spec: { taints } } },
        deps.signal === undefined ? {} : { signal: deps.signal },
      );
      return true;
    },
    deps,
  );
}

/** Adds `taint` (replacing one with the same key and effect); no write if an identical taint is there. */
export function addOrUpdateTaintOnNode(kube: KubeClient, cached: Readonly<Node>, taint: Readonly<Taint>, deps: BackoffDeps): Promise<boolean> {
  return patchTaints(
    kube,
    cached,
    (taints) => {
      const existing = taints.find((t) => sameTaint(t, taint));
      if (existing !== undefined && existing.value === taint.value) return undefined;
      return [...taints.filter((t) => !sameTaint(t, taint)), { ...taint }];
    },
    deps,
  );
}

/**
 * Removes taints matching `taint`'s key and effect. As upstream, the cached Node is checked
 * first, so a Node without the taint costs no API call.
 */
export function removeTaintOffNode(kube: KubeClient, cached: Readonly<Node>, taint: Readonly<Taint>, deps: BackoffDeps): Promise<boolean> {
  if (!(cached.spec?.taints ?? []).some((t) => sameTaint(t, taint))) return Promise.resolve(false);
  return patchTaints(
    kube,
    cached,
    (taints) => (taints.some((t) => sameTaint(t, taint)) ? taints.filter((t) => !sameTaint(t, taint)) : undefined),
    deps,
  );
}
