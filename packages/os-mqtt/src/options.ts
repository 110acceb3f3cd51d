import { z } from 'zod';

/** `services: [{ use: mqtt, options: … }]` — validated by the core with this schema. */
export const mqttOptionsSchema = z
  .strictObject({
    implementation: z
      .enum(['auto', 'mosquitto', 'embedded'])
      .default('auto')
      .describe('auto: mosquitto when the binary exists on the node, else the embedded Node broker (aedes).'),
    port: z.number().int().min(1).max(65535).default(1883).describe('Broker port on each node.'),
    nodes: z
      .enum(['all', 'workers'])
      .default('all')
      .describe(
        'all: every node except the cloud controller (endpoints need one for replies); workers: worker nodes only.',
      ),
  })
  .describe('MQTT broker per node');

export type MqttOptions = z.output<typeof mqttOptionsSchema>;
export type Implementation = 'mosquitto' | 'embedded';

/** Options as the core hands them over, or raw (tests, direct calls): fill the defaults. */
export function resolveOptions(config: unknown): MqttOptions {
  return mqttOptionsSchema.parse(config ?? {});
}
export type MqttOptionsInput = z.input<typeof mqttOptionsSchema>;
