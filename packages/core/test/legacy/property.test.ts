/**
 * Random mutations of the shipped files never crash the loader: the result is either a native
 * config the core's schema accepts (and a plan can be drawn from), or a ContinuumError that names
 * the file. Seeded, so a failure is reproducible from the printed seed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isContinuumError } from '@continuum/plugin-api';
import { convertLegacyText, formatLegacyPlan, legacyPlan } from '../../src/legacy/index.js';
import { KNOWN_KEYS } from '../../src/legacy/upstream.js';
import { configSchema } from '../../src/engine/config-schema.js';
import { FIXTURES, fixtureFiles, prng } from './helpers.js';

const ITERATIONS = 3000;
const NASTY_VALUES = [
  '',
  '-1',
  '0',
  '1',
  '2.5',
  '1e999',
  'NaN',
  'inf',
  '-0',
  '99999999999999999999',
  'True',
  'no',
  '"quoted"',
  '%',
  '%(missing)s',
  '%(provider)s',
  '[x]',
  '= =',
  ': :',
  '   ',
  '4g',
  '5g',
  'kubernetes',
  'mist',
  'none',
  'gcp',
  'aws',
  'baremetal',
  'image_classification',
  'empty',
  'openfaas',
  '0.05',
  '1.000001',
  '254',
  '255',
  '192.168',
  '1_000',
  '\u00e9\u00e8',
  '\\',
  '#',
  ';x',
];
const ALL_KEYS = Object.values(KNOWN_KEYS).flat();
const SECTIONS = [
  '[infrastructure]',
  '[benchmark]',
  '[execution_model]',
  '[DEFAULT]',
  '[Infrastructure]',
  '[]',
  '[',
  'x]',
];

function mutate(text: string, rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const lines = text.split('\n');
  const rounds = 1 + Math.floor(rand() * 3);
  for (let r = 0; r < rounds; r++) {
    const i = Math.floor(rand() * Math.max(1, lines.length));
    const line = lines[i] ?? '';
    switch (Math.floor(rand() * 10)) {
      case 0: // drop a line
        lines.splice(i, 1);
        break;
      case 1: {
        // change a value
        const m = /^(\s*[^=:]+?)\s*([=:])/.exec(line);
        if (m) lines[i] = `${m[1]} ${m[2]} ${pick(NASTY_VALUES)}`;
        break;
      }
      case 2: // random string value
        if (line.includes('=')) lines[i] = `${line.split('=')[0]}= ${randomString(rand)}`;
        break;
      case 3: // duplicate a section or a line
        lines.splice(i, 0, rand() < 0.5 ? pick(SECTIONS) : line);
        break;
      case 4: // add a known key with a nasty value
        lines.splice(i, 0, `${pick(ALL_KEYS)} = ${pick(NASTY_VALUES)}`);
        break;
      case 5: // key case
        lines[i] = rand() < 0.5 ? line.toUpperCase() : line.toLowerCase();
        break;
      case 6: // garbage line
        lines.splice(i, 0, randomString(rand));
        break;
      case 7: // indentation (continuation lines)
        lines[i] = `${' '.repeat(1 + Math.floor(rand() * 4))}${line}`;
        break;
      case 8: // truncate
        return lines.join('\n').slice(0, Math.floor(rand() * text.length));
      default: // section shuffle
        lines.push(pick(SECTIONS), `${pick(ALL_KEYS)} = ${pick(NASTY_VALUES)}`);
    }
  }
  return lines.join('\n');
}

function randomString(rand: () => number): string {
  const alphabet = 'abcXYZ019 _-.=:#;[]%()"\'\t\\/\u00e9\u4e2d';
  const n = Math.floor(rand() * 20);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
  return s;
}

describe('property: mutated upstream files never crash the loader', () => {
  const sources = fixtureFiles().map((f) => ({ name: f, text: readFileSync(join(FIXTURES, f), 'utf8') }));

  it(`${ITERATIONS} seeded mutations: valid native config or ContinuumError naming the file`, () => {
    let accepted = 0;
    let rejected = 0;
    for (let seed = 1; seed <= ITERATIONS; seed++) {
      const rand = prng(seed);
      const source = sources[Math.floor(rand() * sources.length)];
      if (!source) continue;
      const mutated = mutate(source.text, rand);
      const file = `mutant-${seed}-${source.name.replace(/\//g, '_')}`;
      try {
        const loaded = convertLegacyText(mutated, file);
        const parsed = configSchema.safeParse(loaded.config);
        if (!parsed.success) {
          throw new Error(
            `seed ${seed}: accepted config fails the core schema: ${JSON.stringify(parsed.error.issues)}\n---\n${mutated}`,
          );
        }
        formatLegacyPlan(legacyPlan(loaded.config, loaded.upstream));
        accepted++;
      } catch (err) {
        if (!isContinuumError(err))
          throw new Error(`seed ${seed}: ${String(err)}\n---\n${mutated}`, { cause: err });
        expect(err.code, `seed ${seed}`).toBe('LEGACY_CONFIG');
        expect(err.message, `seed ${seed}`).toContain(file);
        rejected++;
      }
    }
    // Both outcomes must actually happen, or the mutations are not exercising anything.
    expect(accepted).toBeGreaterThan(ITERATIONS / 20);
    expect(rejected).toBeGreaterThan(ITERATIONS / 20);
  });
});
