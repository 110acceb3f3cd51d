import type { ScaphandreOptions } from './options.js';

/** The label every estimated number carries, so nobody mistakes it for a measurement. */
export function estimateLabel(model: ScaphandreOptions['powerModel'], why: string): string {
  return `estimate: CPU time x ${model.wattsPerCore} W/busy core (+ ${model.idleWatts} W host idle); ${why}`;
}

/** Power (W) of something that kept `busyCores` cores busy on average. */
export function modelPower(
  model: ScaphandreOptions['powerModel'],
  busyCores: number,
  isHost: boolean,
): number {
  return Math.max(0, busyCores) * model.wattsPerCore + (isHost ? model.idleWatts : 0);
}
