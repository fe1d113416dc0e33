/**
 * Last-resort cleanup for the test cluster: work registered here runs synchronously when the
 * process exits without the test having stopped what it started (a failed or forgotten `stop()`).
 *
 * @module
 */

const tasks = new Set<() => void>();
let installed = false;

/** Runs `task` (synchronous) at process exit; returns a function that unregisters it. */
export function onProcessExit(task: () => void): () => void {
  if (!installed) {
    installed = true;
    process.on('exit', () => {
      for (const t of tasks) {
        try {
          t();
        } catch {
          // Exiting anyway: one failed cleanup must not skip the others.
        }
      }
    });
  }
  tasks.add(task);
  return () => tasks.delete(task);
}
