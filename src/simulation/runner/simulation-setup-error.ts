/**
 * The error of a scenario the simulator cannot run: the manager refuses its provider or flags, the
 * API refuses one of its objects. The CLI prints it as one line and exits 2.
 *
 * @module
 */

/** The manager could not start with the scenario's provider or flags (a bad scenario). */
export class SimulationSetupError extends Error {
  override readonly name = 'SimulationSetupError';
  /** A bad scenario is the user's input. */
  readonly isInputError = true;
}
