import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type {
  Capability,
  Context,
  HostInfo,
  Json,
  Kind,
  Node,
  Outputs,
  RunInfo,
  StateStore,
  Topology,
  WorkloadRunner,
} from '@continuum/plugin-api';
import type { Output } from './output.js';
import type { StateFile, StepRecord } from './state.js';

/** What every context of one run shares; getters so contexts see nodes/runner once they exist. */
export interface RunScope {
  topology: Topology;
  run: RunInfo;
  host: HostInfo;
  output: Output;
  outputs: Outputs;
  signal(): AbortSignal;
  nodes(): readonly Node[];
  runner(): WorkloadRunner | undefined;
}

export function memoryStore<S>(initial?: S): StateStore<S> {
  let value = initial;
  return {
    get: () => value,
    set: (s) => {
      value = s;
      return Promise.resolve();
    },
  };
}

/** A store backed by the step record in the state file: set() returns after the atomic write. */
export function stepStore<S>(file: StateFile, step: StepRecord, cap: Capability): StateStore<S> {
  return {
    get: () => step.state as S | undefined,
    set: (s) => {
      file.updateStep(step, {
        state: JSON.parse(JSON.stringify(s ?? null)) as Json,
        ...(cap.stateVersion !== undefined ? { stateVersion: cap.stateVersion } : {}),
      });
      return Promise.resolve();
    },
  };
}

export function makeContext<C, S>(
  scope: RunScope,
  target: { kind: Kind; name: string },
  config: C,
  state: StateStore<S>,
): Context<C, S> {
  const workDir = join(scope.run.dir, `${target.kind}-${target.name}`);
  mkdirSync(workDir, { recursive: true });
  const log = scope.output.logger(`${target.kind}/${target.name}`);
  return {
    config,
    topology: scope.topology,
    run: scope.run,
    host: scope.host,
    log,
    get signal() {
      return scope.signal();
    },
    state,
    workDir,
    get nodes() {
      return scope.nodes();
    },
    outputs: scope.outputs,
    get runner() {
      return scope.runner();
    },
  };
}
