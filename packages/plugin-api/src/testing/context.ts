import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, Outputs } from '../capabilities.js';
import { createMemoryLogger } from '../log.js';
import type { Node } from '../node.js';
import { resolveLinks } from '../network.js';
import type { Tier, TierSpec, Topology } from '../topology.js';
import { deriveMode, resolveNodes } from '../topology.js';
import type { WorkloadRunner } from '../workload.js';

export interface TestContextOptions<C, S> {
  config: C;
  state?: S;
  tiers?: Partial<Record<Tier, Partial<TierSpec>>>;
  withController?: boolean;
  emulation?: boolean;
  nodes?: Node[];
  outputs?: Partial<Outputs>;
  runner?: WorkloadRunner;
  runDir?: string;
  signal?: AbortSignal;
}

const emptyTier = (): TierSpec => ({
  nodes: 0,
  cores: 1,
  memoryMiB: 512,
  cpuQuota: 1,
  diskReadMBps: 0,
  diskWriteMBps: 0,
});

/** A Context like the core builds, with an in-memory state store and logger, for plugin tests. */
export function createTestContext<C, S>(
  options: TestContextOptions<C, S>,
): Context<C, S> & {
  log: ReturnType<typeof createMemoryLogger>;
  savedStates: S[];
} {
  const tiers: Record<Tier, TierSpec> = {
    cloud: { ...emptyTier(), ...options.tiers?.cloud },
    edge: { ...emptyTier(), ...options.tiers?.edge },
    endpoint: { ...emptyTier(), ...options.tiers?.endpoint },
  };
  const present = (['cloud', 'edge', 'endpoint'] as Tier[]).filter((t) => tiers[t].nodes > 0);
  const topology: Topology = {
    mode: deriveMode({ cloud: tiers.cloud.nodes, edge: tiers.edge.nodes, endpoint: tiers.endpoint.nodes }),
    tiers,
    nodes: resolveNodes(tiers, options.withController ?? false),
    network: { emulation: options.emulation ?? false, preset: '4g', links: resolveLinks('4g', {}, present) },
  };
  const runDir = options.runDir ?? mkdtempSync(join(tmpdir(), 'continuum-test-run-'));
  const workDir = join(runDir, 'work');
  mkdirSync(workDir, { recursive: true });
  let state = options.state;
  const savedStates: S[] = [];
  const id = `t${Math.random().toString(36).slice(2, 8)}`;
  return {
    config: options.config,
    topology,
    run: { id, dir: runDir, startedAt: new Date().toISOString(), configPath: undefined },
    host: { isRoot: process.getuid?.() === 0, cores: 2, memoryMiB: 1024, platform: process.platform },
    log: createMemoryLogger(),
    signal: options.signal ?? new AbortController().signal,
    state: {
      get: () => state,
      set: (s: S) => {
        state = s;
        savedStates.push(JSON.parse(JSON.stringify(s)) as S);
        return Promise.resolve();
      },
    },
    savedStates,
    workDir,
    nodes: options.nodes ?? [],
    outputs: { infrastructure: undefined, services: {}, cluster: undefined, ...options.outputs },
    runner: options.runner,
  };
}
