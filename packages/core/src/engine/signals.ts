import type { Output } from './output.js';
import { EXIT } from './exit-codes.js';

/**
 * First SIGINT/SIGTERM: cancel the current phase (then the command tears down unless it keeps the
 * run). Second one: exit at once, leaving the state file for `continuum down`.
 */
export function installSignalHandlers(
  target: { interrupt(signal: string): void; release(): void; runId: string },
  output: Output,
  keeping: boolean,
): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
      output.print(
        `\n${signal}: cancelling; ${keeping ? 'the infrastructure is kept' : 'tearing down what was created'}. Press Ctrl-C again to exit at once (state is kept: continuum down ${target.runId}).`,
      );
      target.interrupt(signal);
      return;
    }
    output.print(`${signal} again: exiting now. Remove what is left with: continuum down ${target.runId}`);
    target.release();
    process.exit(EXIT.interrupted);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
