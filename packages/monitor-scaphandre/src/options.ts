import { z } from 'zod';

/** `monitors: [{ use: scaphandre, options: … }]` */
export const scaphandreOptionsSchema = z
  .strictObject({
    mode: z
      .enum(['auto', 'scaphandre', 'estimate'])
      .default('auto')
      .describe(
        'auto: scaphandre when it runs and RAPL counters are readable, else the labeled estimate. scaphandre: fail validation without it. estimate: always the power model.',
      ),
    binary: z.string().min(1).default('scaphandre'),
    raplCounter: z
      .string()
      .default('/sys/class/powercap/intel-rapl:0/energy_uj')
      .describe(
        'RAPL energy counter that must be readable for the measured path (another zone on some hosts).',
      ),
    sampleIntervalS: z
      .number()
      .min(0.2)
      .max(30)
      .default(1)
      .describe('Sampling interval of CPU time / exporter power.'),
    powerModel: z
      .strictObject({
        idleWatts: z
          .number()
          .min(0)
          .default(10)
          .describe('Host power with no load (W), attributed to the host only.'),
        wattsPerCore: z
          .number()
          .min(0)
          .default(12)
          .describe('Extra power of one fully busy core (W): node power = busy cores x this.'),
      })
      .prefault({})
      .describe(
        'Linear CPU-time power model used where no power sensor exists. State the numbers in your paper.',
      ),
    qemu: z
      .strictObject({
        sharesDir: z
          .string()
          .default('/var/lib/libvirt/scaphandre')
          .describe('Host folder scaphandre qemu writes per-domain energy into.'),
        guestMount: z
          .string()
          .default('/var/scaphandre')
          .describe('Where the guest mounts its virtiofs share (scaphandre --vm reads it).'),
        virtiofsd: z.string().default('/usr/libexec/virtiofsd'),
        guestExporterPort: z.number().int().min(1).max(65535).default(8080),
      })
      .prefault({}),
  })
  .describe('Energy per node and per phase: scaphandre (RAPL) or a labeled CPU-time x power-model estimate');

export type ScaphandreOptions = z.output<typeof scaphandreOptionsSchema>;
export type ScaphandreOptionsInput = z.input<typeof scaphandreOptionsSchema>;
export const resolveOptions = (config: unknown): ScaphandreOptions =>
  scaphandreOptionsSchema.parse(config ?? {});
