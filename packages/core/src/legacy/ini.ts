/**
 * An INI reader with Python `configparser` semantics (the defaults upstream Continuum used):
 * `=` or `:` delimiters (the first one wins), `#`/`;` full-line comments only (no inline
 * comments), case-insensitive keys, indented continuation lines, strict duplicates, a
 * `[DEFAULT]` section inherited by all others, and `%(key)s` / `%%` interpolation.
 *
 * Section names are matched case-insensitively (configparser is case-sensitive there; being
 * lenient costs nothing and avoids a confusing "section missing").
 */

export interface IniEntry {
  /** Lower-cased key (configparser's optionxform). */
  key: string;
  /** The key as written, for messages. */
  rawKey: string;
  /** Raw value, continuation lines joined with "\n", not interpolated. */
  value: string;
  /** 1-based line of the key. */
  line: number;
}

export interface IniSection {
  /** The section name as written. */
  name: string;
  line: number;
  entries: Map<string, IniEntry>;
}

export interface IniDocument {
  /** By lower-cased section name, without DEFAULT. */
  sections: Map<string, IniSection>;
  defaults: Map<string, IniEntry>;
}

export class IniSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly section: string | undefined,
    readonly key: string | undefined,
  ) {
    super(message);
  }
}

const SECTION_RE = /^\[(.+)\]/;
const OPTION_RE = /^(.*?)\s*([=:])\s*(.*)$/;
const DEFAULT_SECTION = 'default';

export function parseIni(text: string): IniDocument {
  const doc: IniDocument = { sections: new Map(), defaults: new Map() };
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  let current: { name: string; entries: Map<string, IniEntry> } | undefined;
  // Continuation lines are collected per entry and joined at the end, like configparser.
  let currentEntry: { entry: IniEntry; parts: string[] } | undefined;
  let indentLevel = 0;
  const pending: { entry: IniEntry; parts: string[] }[] = [];

  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const stripped = raw.trim();
    const isComment = stripped.startsWith('#') || stripped.startsWith(';');
    if (stripped === '' || isComment) {
      // An empty line inside a multi-line value is kept (trailing ones are trimmed later).
      if (!isComment && currentEntry) currentEntry.parts.push('');
      return;
    }
    const indent = raw.length - raw.trimStart().length;
    if (current && currentEntry && indent > indentLevel) {
      currentEntry.parts.push(stripped);
      return;
    }
    indentLevel = indent;
    const header = SECTION_RE.exec(stripped);
    if (header) {
      const name = (header[1] ?? '').trim();
      const lower = name.toLowerCase();
      if (lower === DEFAULT_SECTION) {
        current = { name, entries: doc.defaults };
      } else {
        if (doc.sections.has(lower)) {
          throw new IniSyntaxError(
            `section [${name}] appears twice (line ${lineNo})`,
            lineNo,
            name,
            undefined,
          );
        }
        const section: IniSection = { name, line: lineNo, entries: new Map() };
        doc.sections.set(lower, section);
        current = section;
      }
      currentEntry = undefined;
      return;
    }
    if (!current) {
      throw new IniSyntaxError(
        `line ${lineNo} ("${truncate(stripped)}") comes before any [section] header`,
        lineNo,
        undefined,
        undefined,
      );
    }
    const option = OPTION_RE.exec(stripped);
    const rawKey = option?.[1]?.trimEnd() ?? '';
    if (!option || rawKey === '') {
      throw new IniSyntaxError(
        `line ${lineNo} ("${truncate(stripped)}") is neither "key = value" nor a [section] header`,
        lineNo,
        current.name,
        undefined,
      );
    }
    const key = rawKey.toLowerCase();
    if (current.entries.has(key)) {
      throw new IniSyntaxError(
        `key ${rawKey} appears twice in [${current.name}] (line ${current.entries.get(key)?.line ?? '?'} and line ${lineNo})`,
        lineNo,
        current.name,
        rawKey,
      );
    }
    const entry: IniEntry = { key, rawKey, value: (option[3] ?? '').trim(), line: lineNo };
    current.entries.set(key, entry);
    currentEntry = { entry, parts: [entry.value] };
    pending.push(currentEntry);
  });

  for (const { entry, parts } of pending) entry.value = parts.join('\n').trimEnd();
  return doc;
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Look a key up in a section, falling back to [DEFAULT] like configparser. */
export function lookup(doc: IniDocument, section: string, key: string): IniEntry | undefined {
  return doc.sections.get(section)?.entries.get(key) ?? doc.defaults.get(key);
}

const MAX_INTERPOLATION_DEPTH = 10;

/**
 * configparser's BasicInterpolation: `%%` is a literal `%`, `%(name)s` is another key of the same
 * section (or DEFAULT); any other `%` is an error.
 */
export function interpolate(doc: IniDocument, section: string, value: string, depth = 0): string {
  if (!value.includes('%')) return value;
  if (depth > MAX_INTERPOLATION_DEPTH)
    throw new Error('interpolation is nested too deeply (a key refers to itself?)');
  let out = '';
  let rest = value;
  while (rest.length > 0) {
    const at = rest.indexOf('%');
    if (at < 0) {
      out += rest;
      break;
    }
    out += rest.slice(0, at);
    rest = rest.slice(at);
    const next = rest[1];
    if (next === '%') {
      out += '%';
      rest = rest.slice(2);
    } else if (next === '(') {
      const m = /^%\(([^)]+)\)s/.exec(rest);
      if (!m) throw new Error(`bad interpolation syntax in "${value}" (expected %(name)s)`);
      const ref = (m[1] ?? '').toLowerCase();
      const target = lookup(doc, section, ref);
      if (!target)
        throw new Error(`"${value}" refers to %(${m[1] ?? ''})s, which is not set in this section`);
      out += interpolate(doc, section, target.value, depth + 1);
      rest = rest.slice(m[0].length);
    } else {
      throw new Error(`"%" must be written "%%" (or used as %(name)s) in "${value}"`);
    }
  }
  return out;
}
