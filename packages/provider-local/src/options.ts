import { z } from 'zod';

/** `providers.options` of `use: local`. */
export const localOptionsSchema = z.strictObject({
  mode: z
    .enum(['auto', 'netns', 'process'])
    .default('auto')
    .describe(
      'netns: nodes are network namespaces (needs root/CAP_NET_ADMIN); process: plain host processes, no emulation; auto: netns when privileged',
    ),
  subnet: z
    .string()
    .regex(/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\/16$/, 'an IPv4 /16 such as 10.123.0.0/16')
    .optional()
    .describe('Address range for the nodes; default: a free 10.x.0.0/16 picked per run'),
  delay: z
    .enum(['auto', 'netem', 'relay'])
    .default('auto')
    .describe(
      'How link delay/jitter/loss is emulated: kernel netem, the userspace relay, or auto (netem if the kernel has it)',
    ),
  validation: z
    .strictObject({
      rtt: z.boolean().default(true).describe('Measure the RTT of every tier pair after setup'),
      pings: z.number().int().min(3).max(1000).default(30).describe('Pings per tier pair'),
      pingIntervalS: z.number().min(0.01).max(1).default(0.02).describe('Seconds between pings'),
      throughput: z.boolean().default(true).describe('Short TCP throughput test per shaped tier pair'),
      throughputSeconds: z.number().min(0.5).max(30).default(1).describe('Duration of each throughput test'),
    })
    .default({ rtt: true, pings: 30, pingIntervalS: 0.02, throughput: true, throughputSeconds: 1 }),
});

export type LocalOptions = z.output<typeof localOptionsSchema>;

export const DEFAULT_OPTIONS: LocalOptions = localOptionsSchema.parse({});
