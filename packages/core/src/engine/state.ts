import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json, Kind, Phase, Topology } from '@continuum/plugin-api';
import { ContinuumError } from '@continuum/plugin-api';
import { writeFileAtomic } from './atomic-file.js';

export const STATE_VERSION = 1;

export type StepStatus = 'pending' | 'done' | 'failed' | 'torn-down';

export interface StepRecord {
  kind: Kind;
  name: string;
  /** `package@version` of the plugin that provided the capability. */
  plugin: string;
  apiVersion: number;
  /** The phase that created the step (provision, install, benchmark). */
  phase: Phase;
  status: StepStatus;
  startedAt: string;
  endedAt?: string;
  /** The plugin's opaque state blob (ctx.state). */
  state?: Json;
  /** Capability.stateVersion when the blob was written (for upgradeState). */
  stateVersion?: number;
  /** What the step produced (infrastructure, service/cluster outputs). */
  output?: Json;
  error?: string;
  teardownError?: string;
}

export type RunStatus =
  'running' | 'up' | 'done' | 'failed' | 'interrupted' | 'torn-down' | 'teardown-failed';

export interface RunState {
  stateVersion: number;
  runId: string;
  coreVersion: string;
  configPath: string | undefined;
  configHash: string;
  /** The validated, resolved config (teardown and `bench` need each capability's options). */
  config: Json;
  topology: Topology;
  status: RunStatus;
  keep: boolean;
  createdAt: string;
  updatedAt: string;
  steps: StepRecord[];
}

/**
 * The run's write-ahead state file. Every mutation is written atomically before the method
 * returns, so a crash at any point leaves a file `continuum down` can work from.
 */
export class StateFile {
  readonly path: string;
  private data: RunState;

  private constructor(path: string, data: RunState) {
    this.path = path;
    this.data = data;
  }

  static create(
    runDir: string,
    initial: Omit<RunState, 'stateVersion' | 'createdAt' | 'updatedAt' | 'steps'>,
  ): StateFile {
    const now = new Date().toISOString();
    const file = new StateFile(join(runDir, 'state.json'), {
      stateVersion: STATE_VERSION,
      ...initial,
      createdAt: now,
      updatedAt: now,
      steps: [],
    });
    file.flush();
    return file;
  }

  static load(runDir: string): StateFile {
    const path = join(runDir, 'state.json');
    if (!existsSync(path)) {
      throw new ContinuumError('STATE_NOT_FOUND', `No state file at ${path}.`, {
        hint: 'List runs with `continuum status`.',
      });
    }
    let data: RunState;
    try {
      data = JSON.parse(readFileSync(path, 'utf8')) as RunState;
    } catch (error) {
      throw new ContinuumError(
        'STATE_CORRUPT',
        `State file ${path} is not valid JSON: ${(error as Error).message}`,
        {
          hint: 'The file is written atomically, so this means it was edited by hand; restore it or remove the run directory after cleaning up manually.',
        },
      );
    }
    if (data.stateVersion !== STATE_VERSION) {
      throw new ContinuumError(
        'STATE_VERSION',
        `State file ${path} has stateVersion ${String(data.stateVersion)}; this core reads version ${STATE_VERSION}.`,
        {
          hint: `Use the Continuum version that created the run (core ${data.coreVersion}) to tear it down.`,
        },
      );
    }
    return new StateFile(path, data);
  }

  get value(): Readonly<RunState> {
    return this.data;
  }

  get steps(): readonly StepRecord[] {
    return this.data.steps;
  }

  update(mutate: (state: RunState) => void): void {
    mutate(this.data);
    this.data.updatedAt = new Date().toISOString();
    this.flush();
  }

  setStatus(status: RunStatus): void {
    this.update((s) => {
      s.status = status;
    });
  }

  findStep(kind: Kind, name: string): StepRecord | undefined {
    return this.data.steps.find((s) => s.kind === kind && s.name === name);
  }

  /** Record a step as pending BEFORE the plugin is called (write-ahead). */
  beginStep(step: Omit<StepRecord, 'status' | 'startedAt'>): StepRecord {
    const record: StepRecord = { ...step, status: 'pending', startedAt: new Date().toISOString() };
    this.update((s) => {
      s.steps = s.steps.filter((x) => !(x.kind === step.kind && x.name === step.name));
      s.steps.push(record);
    });
    return record;
  }

  updateStep(step: StepRecord, patch: Partial<StepRecord>): void {
    this.update(() => {
      Object.assign(step, patch);
    });
  }

  private flush(): void {
    writeFileAtomic(this.path, `${JSON.stringify(this.data, null, 2)}\n`);
  }
}
