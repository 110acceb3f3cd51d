import { defineMonitor, type Diagnostic, type PlanItem } from '@continuum/plugin-api';
import { z } from 'zod';
import { collect, decideSource, install, onPhase, teardown } from './monitor.js';
import { resolveOptions, scaphandreOptionsSchema, type ScaphandreOptions } from './options.js';
import type { ScaphandreState } from './state.js';

export { scaphandreOptionsSchema, type ScaphandreOptions, type ScaphandreOptionsInput } from './options.js';
export type { ScaphandreState } from './state.js';
export { energyPerPhase, phaseSpans, powerIntervals, type Reading, type EnergyRow } from './energy.js';
export { estimateLabel, modelPower } from './power-model.js';
export {
  guestExporterCommand,
  guestFstabLine,
  guestMountCommand,
  hostExporterCommand,
  parseScaphandrePower,
  probeRapl,
  qemuExporterCommand,
  qemuVirtiofsArgs,
  virtiofsDomainXml,
  virtiofsdCommand,
} from './scaphandre.js';

export default defineMonitor<ScaphandreOptions, ScaphandreState>({
  name: 'scaphandre',
  description:
    'Energy (J) and mean power (W) per node and phase: scaphandre with RAPL, else a labeled CPU-time x power-model estimate',
  configSchema: scaphandreOptionsSchema,
  jsonSchema: () => z.toJSONSchema(scaphandreOptionsSchema, { io: 'input' }),
  stateVersion: 1,
  async validate(ctx): Promise<Diagnostic[]> {
    const options = resolveOptions(ctx.config);
    try {
      const d = await decideSource(options);
      return d.source === 'estimate' && options.mode === 'auto'
        ? [
            {
              severity: 'warning',
              path: 'monitors.scaphandre',
              message: `energy will be estimated (${d.why})`,
              hint: 'Set options.powerModel to your hardware, or run on a host with RAPL and scaphandre.',
            },
          ]
        : [];
    } catch (error) {
      return [
        {
          severity: 'error',
          path: 'monitors.scaphandre.options.mode',
          message: (error as Error).message,
          hint: 'mode: auto falls back to the labeled estimate.',
        },
      ];
    }
  },
  async plan(ctx): Promise<PlanItem[]> {
    const d = await decideSource(resolveOptions(ctx.config)).catch(() => ({ source: 'error', why: '' }));
    return [{ resource: 'energy-source', name: d.source, details: { why: d.why } }];
  },
  install: (ctx) => install(ctx),
  onPhase: (ctx, event) => onPhase(ctx, event),
  collect: (ctx, window) => collect(ctx, window),
  teardown: (ctx) => teardown(ctx),
});
