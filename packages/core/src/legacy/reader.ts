/**
 * Typed access to upstream options with upstream's `option_check` semantics: present-but-empty
 * means unset, a missing mandatory key is an error, wrong types and failed conditions are errors.
 * Instead of stopping at the first problem it records every issue, so a user fixes a file in one go.
 */
import { interpolate, lookup, type IniDocument } from './ini.js';

export interface LegacyIssue {
  section: string;
  key: string | undefined;
  line: number | undefined;
  message: string;
  hint: string | undefined;
  /** The value looks like `value  # comment` (inline comments are not INI in configparser's dialect). */
  inlineComment?: boolean;
}

export interface OptionSpec<T> {
  mandatory?: boolean;
  /** Why it is mandatory, appended to the "missing" message (e.g. "because cloud_nodes = 2"). */
  mandatoryBecause?: string;
  default?: T;
  /** Returns a problem description, or undefined when the value is fine. */
  check?: (value: T) => string | undefined;
  hint?: string;
}

const TRUE_WORDS = new Set(['1', 'yes', 'true', 'on']);
const FALSE_WORDS = new Set(['0', 'no', 'false', 'off']);

/** Python int(): optional sign, digits, single underscores between digits. */
export function parsePythonInt(text: string): number | undefined {
  const t = text.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(t)) return undefined;
  const n = Number(t.replace(/_/g, ''));
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Python float() for the forms people write in configs; non-finite values are refused. */
export function parsePythonFloat(text: string): number | undefined {
  const t = text.trim();
  if (!/^[+-]?(\d+(_\d+)*(\.(\d+(_\d+)*)?)?|\.\d+(_\d+)*)([eE][+-]?\d+(_\d+)*)?$/.test(t)) return undefined;
  const n = Number(t.replace(/_/g, ''));
  return Number.isFinite(n) ? n : undefined;
}

export function parseBool(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (TRUE_WORDS.has(t)) return true;
  if (FALSE_WORDS.has(t)) return false;
  return undefined;
}

/** Values people quote for Terraform (`gcp_zone = "europe-west4-a"`); we want the bare text. */
export function stripQuotes(text: string): string {
  const t = text.trim();
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t.at(-1) === t[0]) return t.slice(1, -1).trim();
  return t;
}

export class OptionReader {
  readonly issues: LegacyIssue[] = [];
  /** `section.key` pairs that some rule looked at; the rest are unknown to upstream. */
  readonly consumed = new Set<string>();

  constructor(readonly doc: IniDocument) {}

  hasSection(section: string): boolean {
    return this.doc.sections.has(section);
  }

  /** Whether the key is present with a non-empty value. */
  isSet(section: string, key: string): boolean {
    const e = lookup(this.doc, section, key.toLowerCase());
    return e !== undefined && e.value !== '';
  }

  lineOf(section: string, key: string): number | undefined {
    return lookup(this.doc, section, key.toLowerCase())?.line;
  }

  /** The name of the key as the user wrote it (case preserved), for messages. */
  nameOf(section: string, key: string): string {
    return lookup(this.doc, section, key.toLowerCase())?.rawKey ?? key;
  }

  issue(
    section: string,
    key: string | undefined,
    message: string,
    hint?: string,
    inlineComment = false,
  ): void {
    this.issues.push({
      section,
      key: key === undefined ? undefined : this.nameOf(section, key),
      line:
        key === undefined ? this.doc.sections.get(section)?.line : this.lineOf(section, key.toLowerCase()),
      message,
      hint,
      ...(inlineComment ? { inlineComment } : {}),
    });
  }

  /** Raw (interpolated) text of a set key, or undefined when unset / empty. */
  private text(section: string, key: string): string | undefined {
    const k = key.toLowerCase();
    this.consumed.add(`${section}.${k}`);
    const entry = lookup(this.doc, section, k);
    if (entry === undefined || entry.value === '') return undefined;
    try {
      return interpolate(this.doc, section, entry.value);
    } catch (err) {
      this.issue(section, k, (err as Error).message, 'Write a literal percent sign as %%.');
      return undefined;
    }
  }

  private read<T>(
    section: string,
    key: string,
    typeName: string,
    parse: (s: string) => T | undefined,
    spec: OptionSpec<T>,
  ): T | undefined {
    const raw = this.text(section, key);
    if (raw === undefined) {
      if (spec.mandatory) {
        const because = spec.mandatoryBecause ? ` (mandatory ${spec.mandatoryBecause})` : ' (mandatory)';
        this.issue(
          section,
          key,
          `is missing${because}`,
          spec.hint ?? `Add "${key} = <${typeName}>" to [${section}].`,
        );
      }
      return spec.default;
    }
    const inline = /\s[#;]/.test(raw);
    const value = parse(raw);
    if (value === undefined) {
      this.issue(section, key, `has value "${shorten(raw)}", expected ${typeName}`, spec.hint, inline);
      return spec.default;
    }
    const problem = spec.check?.(value);
    if (problem !== undefined) {
      this.issue(section, key, `= ${shorten(raw)} is invalid: ${problem}`, spec.hint, inline);
      return spec.default;
    }
    return value;
  }

  int(section: string, key: string, spec: OptionSpec<number> = {}): number | undefined {
    return this.read(section, key, 'an integer', parsePythonInt, spec);
  }

  float(section: string, key: string, spec: OptionSpec<number> = {}): number | undefined {
    return this.read(section, key, 'a number', parsePythonFloat, spec);
  }

  bool(section: string, key: string, spec: OptionSpec<boolean> = {}): boolean | undefined {
    return this.read(section, key, 'True or False', parseBool, spec);
  }

  str(section: string, key: string, spec: OptionSpec<string> = {}): string | undefined {
    return this.read(section, key, 'a string', (s) => s, spec);
  }

  /** A quoted-or-bare string (GCP/AWS values were pasted into Terraform with their quotes). */
  quoted(section: string, key: string, spec: OptionSpec<string> = {}): string | undefined {
    const raw = this.text(section, key);
    const value = raw === undefined ? '' : stripQuotes(raw);
    if (value === '') {
      if (spec.mandatory) {
        const because = spec.mandatoryBecause ? ` (mandatory ${spec.mandatoryBecause})` : ' (mandatory)';
        this.issue(section, key, `is missing or empty${because}`, spec.hint);
      }
      return spec.default;
    }
    const problem = spec.check?.(value);
    if (problem !== undefined) {
      this.issue(section, key, `= ${shorten(value)} is invalid: ${problem}`, spec.hint);
      return spec.default;
    }
    return value;
  }

  /** Comma-separated list; blank items dropped, items trimmed. */
  list(section: string, key: string): string[] {
    const raw = this.text(section, key);
    if (raw === undefined) return [];
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  /** Mark a key as known without reading it (e.g. ignored on purpose). */
  touch(section: string, key: string): void {
    this.consumed.add(`${section}.${key.toLowerCase()}`);
  }

  /** Keys of a section that no rule looked at. */
  unknownKeys(section: string): { key: string; rawKey: string; line: number }[] {
    const s = this.doc.sections.get(section);
    if (!s) return [];
    return [...s.entries.values()]
      .filter((e) => !this.consumed.has(`${section}.${e.key}`))
      .map((e) => ({ key: e.key, rawKey: e.rawKey, line: e.line }));
  }
}

function shorten(s: string): string {
  const one = s.replace(/\n/g, '\\n');
  return one.length > 50 ? `${one.slice(0, 47)}...` : one;
}
