/**
 * The V8 heap setting `outrigger simulate` runs with. A simulation keeps its whole cluster in
 * memory and allocates fast; V8's default lets the heap grow up to 4× the live heap between two
 * full collections, so a run of 10,000 Nodes and 10,000 Services with ≈75 MB live peaks at
 * ≈240 MiB of RSS (sometimes ≈290), much of it garbage. Capping the growth at 1.5× trades a few more
 * (incremental, mostly concurrent) full collections for that memory. See docs/simulator.md.
 *
 * @module
 */
import { setFlagsFromString } from 'node:v8';

/** V8's `--heap-growing-percent`: the heap may grow by this much over the live heap before a full GC. */
export const SIMULATOR_HEAP_GROWING_PERCENT = 50;

/**
 * Applies {@link SIMULATOR_HEAP_GROWING_PERCENT} to this process (V8 reads the setting at every
 * full collection, so setting it at run time takes effect). For processes that exist to simulate
 * — the `outrigger simulate` CLI and its benchmark — not for a library caller's process.
 */
export function limitHeapGrowthForSimulation(): void {
  setFlagsFromString(`--heap-growing-percent=${SIMULATOR_HEAP_GROWING_PERCENT}`);
}
