import { appendFileSync, readFileSync } from 'node:fs';
import type { EnergySource } from './cpu-sources.js';
import type { Reading } from './energy.js';

/**
 * Reads every source each interval inside the CLI process while phases run (monitors observe
 * phases in the process that runs them, so `run` and `bench` both see their benchmark), keeping
 * the readings in memory and appending them to a JSONL file in the run directory.
 */
export class EnergySampler {
  readonly readings: Reading[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  readonly errors = new Map<string, string>();

  constructor(
    private readonly sources: readonly EnergySource[],
    private readonly intervalMs: number,
    private readonly file: string,
    private readonly power: Map<string, () => Promise<number | null>> = new Map(),
  ) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.timer !== undefined) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** One reading now (phase boundaries), waiting for one already running. */
  async sample(): Promise<void> {
    if (this.inFlight !== undefined) {
      await this.inFlight;
    }
    this.inFlight = this.read().finally(() => (this.inFlight = undefined));
    await this.inFlight;
  }

  private async read(): Promise<void> {
    const t = Date.now();
    const values: Reading['values'] = {};
    await Promise.all(
      this.sources.map(async (s) => {
        try {
          const v = await s.read();
          const measure = this.power.get(s.name);
          values[s.name] = {
            ...v,
            ...(measure !== undefined ? { powerW: await measure().catch(() => null) } : {}),
          };
        } catch (error) {
          this.errors.set(s.name, (error as Error).message);
        }
      }),
    );
    const reading = { t, values };
    this.readings.push(reading);
    try {
      appendFileSync(this.file, `${JSON.stringify(reading)}\n`);
    } catch {
      // the run directory is gone; readings stay in memory
    }
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.inFlight !== undefined) await this.inFlight;
  }
}

export function readReadings(file: string): Reading[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Reading];
        } catch {
          return [];
        }
      });
  } catch {
    return [];
  }
}

/** Samplers live in the process that runs the phases, one per run. */
export const samplers = new Map<string, EnergySampler>();
