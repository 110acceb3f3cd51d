import { z } from 'zod';
import { LINK_CLASSES } from '@continuum/plugin-api';

/**
 * The core's part of the config: the skeleton every capability plugs into. Capability `options`
 * are validated by each capability's own schema afterwards (see validate.ts).
 */
const tier = z
  .strictObject({
    nodes: z.number().int().min(0).describe('Number of nodes in this tier'),
    cores: z.number().positive().optional().describe('Cores per node (fractions allowed)'),
    memory: z.number().positive().optional().describe('Memory per node in GiB (fractions allowed)'),
    quota: z.number().min(0.1).max(1).optional().describe('CPU bandwidth share per core, 0.1..1'),
    readSpeed: z.number().min(0).default(0).describe('Disk read limit in MB/s, 0 = unlimited'),
    writeSpeed: z.number().min(0).default(0).describe('Disk write limit in MB/s, 0 = unlimited'),
  })
  .superRefine((t, ctx) => {
    // Upstream's rule: sizes are mandatory only for tiers that have nodes.
    if (t.nodes === 0) return;
    for (const key of ['cores', 'memory', 'quota'] as const) {
      if (t[key] === undefined)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `required when nodes > 0 (this tier has ${t.nodes})`,
        });
    }
  });

const linkValues = z.strictObject({
  latency: z.number().min(0).optional().describe('One-way delay in ms'),
  jitter: z.number().min(0).optional().describe('Delay variation in ms'),
  rate: z.number().positive().optional().describe('Rate limit in Mbit/s'),
  loss: z.number().min(0).max(100).optional().describe('Packet loss in percent'),
});

const linkClassShape = Object.fromEntries(LINK_CLASSES.map((c) => [c, linkValues.optional()])) as Record<
  (typeof LINK_CLASSES)[number],
  z.ZodOptional<typeof linkValues>
>;

const network = z.strictObject({
  emulation: z.boolean().default(false).describe('Emulate links between tiers'),
  preset: z.enum(['4g', '5g']).default('4g').describe('Wireless preset for links to endpoints'),
  links: z
    .strictObject(linkClassShape)
    .default({})
    .describe('Per link class overrides; omitted values come from the preset'),
  validate: z.boolean().default(true).describe('Measure the RTT matrix after setting up emulation'),
  throughput: z.boolean().default(true).describe('Short throughput test per tier pair'),
});

const emptyTier = { nodes: 0, readSpeed: 0, writeSpeed: 0 };

export const infrastructureSchema = z.strictObject({
  cloud: tier.default(emptyTier),
  edge: tier.default(emptyTier),
  endpoint: tier.default(emptyTier),
  network: network.default({ emulation: false, preset: '4g', links: {}, validate: true, throughput: true }),
});

export const selectionSchema = z.strictObject({
  use: z
    .string()
    .min(1)
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case capability name, e.g. "local" or "image-classification"'),
  options: z.record(z.string(), z.unknown()).default({}),
});

const timeouts = z.strictObject({
  provision: z.number().positive().default(900),
  install: z.number().positive().default(1800),
  benchmark: z.number().positive().default(3600),
  collect: z.number().positive().default(600),
  teardown: z.number().positive().default(900),
});

const run = z.strictObject({
  keep: z.boolean().default(false).describe('Keep the infrastructure after `continuum run`'),
  timeouts: timeouts
    .default({ provision: 900, install: 1800, benchmark: 3600, collect: 600, teardown: 900 })
    .describe('Per-phase timeouts in seconds'),
});

export const configSchema = z
  .strictObject({
    $schema: z.string().optional(),
    infrastructure: infrastructureSchema,
    provider: selectionSchema.default({ use: 'local', options: {} }),
    services: z.array(selectionSchema).default([]),
    resourceManager: selectionSchema.optional(),
    application: selectionSchema.optional(),
    monitors: z.array(selectionSchema).default([]),
    run: run.default({
      keep: false,
      timeouts: { provision: 900, install: 1800, benchmark: 3600, collect: 600, teardown: 900 },
    }),
  })
  .superRefine((c, ctx) => {
    const total =
      c.infrastructure.cloud.nodes + c.infrastructure.edge.nodes + c.infrastructure.endpoint.nodes;
    if (total === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['infrastructure'],
        message: 'no nodes: set nodes > 0 in at least one of cloud, edge, endpoint',
      });
    const seen = new Set<string>();
    for (const [list, key] of [
      [c.services, 'services'],
      [c.monitors, 'monitors'],
    ] as const) {
      list.forEach((s, i) => {
        if (seen.has(`${key}/${s.use}`))
          ctx.addIssue({ code: 'custom', path: [key, i, 'use'], message: `"${s.use}" is selected twice` });
        seen.add(`${key}/${s.use}`);
      });
    }
  });

export type ContinuumConfig = z.output<typeof configSchema>;
export type Selection = z.output<typeof selectionSchema>;
export type TierConfig = z.output<typeof tier>;
