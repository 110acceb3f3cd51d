import { defineOperatingService } from '@continuum/plugin-api';
import { z } from 'zod';
import { installBrokers } from './install.js';
import { mqttOptionsSchema, type MqttOptions } from './options.js';
import { toJson } from './output.js';
import type { MqttState } from './state.js';
import { teardownBrokers } from './teardown.js';
import { planBrokers, validateOptions } from './validate.js';

export {
  brokerUrlFor,
  brokerUrl,
  brokerProcessRef,
  parseMqttOutput,
  type BrokerInfo,
  type MqttOutput,
} from './output.js';
export {
  checkBrokers,
  assertBrokersHealthy,
  watchBrokers,
  type BrokerHealth,
  type BrokerWatch,
  type HealthReport,
} from './health.js';
export { mqttConnectOnce } from './probe.js';
export { mqttOptionsSchema, type MqttOptions } from './options.js';
export type { MqttState } from './state.js';

export default defineOperatingService<MqttOptions, MqttState>({
  name: 'mqtt',
  description: 'MQTT broker per node: mosquitto when the node has it, else an embedded Node broker (aedes)',
  configSchema: mqttOptionsSchema,
  jsonSchema: () => z.toJSONSchema(mqttOptionsSchema, { io: 'input' }),
  stateVersion: 1,
  validate: (ctx) => validateOptions(ctx),
  plan: (ctx) => Promise.resolve(planBrokers(ctx)),
  install: async (ctx) => toJson(await installBrokers(ctx)),
  teardown: (ctx) => teardownBrokers(ctx),
});
