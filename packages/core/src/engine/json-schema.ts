import type { Kind } from '@continuum/plugin-api';
import { z } from 'zod';
import { configSchema } from './config-schema.js';
import type { Output } from './output.js';
import type { Registry } from './registry.js';

type JsonSchema = Record<string, unknown>;

const KIND_PROPERTY: Record<Kind, { key: string; list: boolean }> = {
  provider: { key: 'provider', list: false },
  'operating-service': { key: 'services', list: true },
  'resource-manager': { key: 'resourceManager', list: false },
  monitor: { key: 'monitors', list: true },
  application: { key: 'application', list: false },
};

/**
 * JSON Schema of the whole config: the core skeleton from zod, with each `use:` section narrowed
 * to the installed capabilities and their options schema (`jsonSchema()`, or the zod schema
 * converted when the plugin uses zod 4). This imports every installed capability entry.
 */
export async function buildJsonSchema(registry: Registry, output: Output): Promise<JsonSchema> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  schema['title'] = 'Continuum config';
  const properties = schema['properties'] as Record<string, JsonSchema>;
  const log = output.logger('core');
  for (const [kind, { key, list }] of Object.entries(KIND_PROPERTY) as [
    Kind,
    { key: string; list: boolean },
  ][]) {
    const variants: JsonSchema[] = [];
    for (const entry of registry.entries.filter((e) => e.kind === kind && e.rejected === undefined)) {
      let options: JsonSchema = { type: 'object' };
      try {
        const cap = await registry.load(entry);
        if (cap.jsonSchema !== undefined) options = cap.jsonSchema();
        else if (cap.configSchema !== undefined && cap.configSchema['~standard'].vendor === 'zod') {
          options = z.toJSONSchema(cap.configSchema as unknown as z.ZodType, {
            io: 'input',
            unrepresentable: 'any',
          });
          delete options['$schema'];
        } else if (cap.configSchema === undefined) options = { type: 'object', additionalProperties: false };
      } catch (error) {
        log.warn(`${kind} "${entry.name}": no options schema (${(error as Error).message})`);
      }
      variants.push({
        type: 'object',
        description: entry.description ?? `${kind} "${entry.name}" from ${entry.pluginName}`,
        properties: { use: { const: entry.name }, options },
        required: ['use'],
        additionalProperties: false,
      });
    }
    if (variants.length === 0) continue;
    const target = properties[key];
    if (target === undefined) continue;
    if (list) target['items'] = { oneOf: variants };
    else
      properties[key] = {
        ...(target['default'] !== undefined ? { default: target['default'] } : {}),
        oneOf: variants,
      };
  }
  return schema;
}
