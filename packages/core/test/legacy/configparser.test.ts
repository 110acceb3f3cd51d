/**
 * Differential test of the INI reader against the real thing: Python's configparser (the parser
 * upstream Continuum used) reads the same random documents, and both must agree on acceptance and
 * on every section, key and raw value. Needs python3 (CI installs it).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { IniSyntaxError, parseIni } from '../../src/legacy/ini.js';
import { parseBool, parsePythonFloat, parsePythonInt } from '../../src/legacy/reader.js';
import { prng } from './helpers.js';

const DOCS = 2000;

// configparser with upstream's settings (defaults), interpolation off to compare raw values.
const PYTHON = `
import configparser, json, sys
out = []
for text in json.load(sys.stdin):
    cp = configparser.ConfigParser(interpolation=None)
    try:
        cp.read_string(text)
    except configparser.Error as e:
        out.append({"error": type(e).__name__})
        continue
    out.append({
        "sections": {s: dict(cp._sections[s]) for s in cp.sections()},
        "defaults": dict(cp._defaults),
    })
print(json.dumps(out))
`;

function randomDoc(rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const keys = ['provider', 'Cloud_Nodes', 'cloud_nodes', 'prefixIP', 'delete', 'x', 'a b'];
  const values = [
    'qemu',
    '1',
    'True',
    '',
    ' spaced value ',
    'a = b',
    'x: y',
    '4g # inline',
    '%%',
    'quoted "v"',
    '[not a section]',
  ];
  const lineKinds: (() => string)[] = [
    () => `[${pick(['infrastructure', 'benchmark', 'execution_model', 'a'])}]`,
    () => '[DEFAULT]',
    () => `${pick(keys)} = ${pick(values)}`,
    () => `${pick(keys)}: ${pick(values)}`,
    () => `${pick(keys)}=${pick(values)}`,
    () => `${pick(keys)} =`,
    () => `${' '.repeat(1 + Math.floor(rand() * 3))}${pick(values)}`,
    () => `${' '.repeat(1 + Math.floor(rand() * 3))}${pick(keys)} = ${pick(values)}`,
    () => '',
    () => '   ',
    () => `# ${pick(values)}`,
    () => `; ${pick(values)}`,
    () => `   # indented comment`,
    () => 'garbage line without delimiter',
    () => '[unterminated',
    () => ` = no key`,
  ];
  const n = 1 + Math.floor(rand() * 12);
  const lines: string[] = rand() < 0.8 ? ['[infrastructure]'] : [];
  for (let i = 0; i < n; i++) lines.push(pick(lineKinds)());
  return lines.join(rand() < 0.1 ? '\r\n' : '\n');
}

function ours(text: string): unknown {
  try {
    const doc = parseIni(text);
    const sections: Record<string, Record<string, string>> = {};
    for (const s of doc.sections.values())
      sections[s.name] = Object.fromEntries([...s.entries.values()].map((e) => [e.key, e.value]));
    return {
      sections,
      defaults: Object.fromEntries([...doc.defaults.values()].map((e) => [e.key, e.value])),
    };
  } catch (err) {
    if (err instanceof IniSyntaxError) return { error: true };
    throw err;
  }
}

describe('INI reader vs Python configparser', () => {
  it(`agrees on ${DOCS} random documents`, () => {
    const rand = prng(20261123);
    const docs = Array.from({ length: DOCS }, () => randomDoc(rand));
    const py = spawnSync('python3', ['-c', PYTHON], {
      input: JSON.stringify(docs),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(py.error, 'python3 is needed for this test (apt-get install python3)').toBeUndefined();
    expect(py.status, py.stderr).toBe(0);
    const theirs = JSON.parse(py.stdout) as (
      | { error: string }
      | { sections: Record<string, Record<string, string>>; defaults: Record<string, string> }
    )[];
    let errors = 0;
    docs.forEach((doc, i) => {
      const expected = theirs[i];
      const mine = ours(doc);
      if (expected && 'error' in expected) {
        errors++;
        expect(mine, `doc ${i} (${expected.error}):\n${doc}`).toEqual({ error: true });
      } else {
        expect(mine, `doc ${i}:\n${doc}`).toEqual(expected);
      }
    });
    // Both outcomes must occur for the comparison to mean something.
    expect(errors).toBeGreaterThan(DOCS / 20);
    expect(errors).toBeLessThan(DOCS - DOCS / 20);
  });
});

const PYTHON_TYPES = `
import configparser, json, math, sys
def conv(f, s):
    try:
        v = f(s)
    except ValueError:
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v
states = configparser.ConfigParser.BOOLEAN_STATES
out = [[conv(int, s), conv(float, s), states.get(s.lower())] for s in json.load(sys.stdin)]
print(json.dumps(out))
`;

describe('value types vs Python int() / float() / getboolean()', () => {
  it('agrees on 3000 random values', () => {
    const rand = prng(42);
    const alphabet = [
      '0',
      '1',
      '7',
      '9',
      '-',
      '+',
      '.',
      'e',
      'E',
      '_',
      ' ',
      'inf',
      'nan',
      'x',
      'True',
      'no',
      'ON',
      '00',
    ];
    const values = Array.from({ length: 3000 }, () => {
      const n = 1 + Math.floor(rand() * 6);
      let v = '';
      for (let i = 0; i < n; i++) v += alphabet[Math.floor(rand() * alphabet.length)] ?? '';
      return v.trim();
    }).filter((v) => v !== '');
    const py = spawnSync('python3', ['-c', PYTHON_TYPES], {
      input: JSON.stringify(values),
      encoding: 'utf8',
    });
    expect(py.error, 'python3 is needed for this test (apt-get install python3)').toBeUndefined();
    expect(py.status, py.stderr).toBe(0);
    const theirs = JSON.parse(py.stdout) as [number | null, number | null, boolean | null][];
    let ints = 0;
    let floats = 0;
    values.forEach((v, i) => {
      const [pi, pf, pb] = theirs[i] ?? [];
      // -0 and 0 mean the same in a config.
      const z = (x: number | null | undefined): number | null => (x === 0 ? 0 : (x ?? null));
      const mine = [z(parsePythonInt(v)), z(parsePythonFloat(v)), parseBool(v) ?? null];
      expect(mine, JSON.stringify(v)).toEqual([z(pi), z(pf), pb ?? null]);
      if (pi !== null) ints++;
      if (pf !== null) floats++;
    });
    expect(ints).toBeGreaterThan(50);
    expect(floats).toBeGreaterThan(ints);
  });
});
