// `outrigger simulate` on a scenario given as text, in process: its exit code and output.
import { runSimulateCommand } from '../../src/cli/simulate.js';

/** What one `outrigger simulate` run printed and returned. */
export interface SimulateRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `outrigger simulate s.yaml <argv>` with `text` as the file's contents. */
export async function simulateText(text: string, ...argv: string[]): Promise<SimulateRun> {
  let stdout = '';
  let stderr = '';
  const code = await runSimulateCommand(['s.yaml', ...argv], {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    readFile: () => Promise.resolve(text),
  });
  return { code, stdout, stderr };
}
