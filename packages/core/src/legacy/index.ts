/**
 * Upstream Continuum `.cfg` compatibility: `continuum run|up|plan|validate file.cfg` and
 * `continuum config import` go through `loadLegacyConfig`.
 */
import { readFile } from 'node:fs/promises';
import { ContinuumError } from '@continuum/plugin-api';
import { IniSyntaxError, parseIni } from './ini.js';
import { convertLegacy, type LegacyNote, type UpstreamSummary } from './convert.js';
import type { LegacyIssue } from './reader.js';

export {
  upstreamIpPlan,
  POSTFIX_IP_LOWER,
  POSTFIX_IP_UPPER,
  type IpPlan,
  type IpPlanInput,
  type PlannedAddress,
  type PlannedBaseImage,
} from './ip-plan.js';
export {
  legacyPlan,
  formatLegacyPlan,
  summaryFromNative,
  type LegacyPlan,
  type LegacyPlanNode,
  type LegacyPlanLink,
} from './plan.js';
export { parseIni, type IniDocument } from './ini.js';
export type { LegacyNote, UpstreamSummary } from './convert.js';

export const LEGACY_CONFIG_ERROR = 'LEGACY_CONFIG';

export interface LegacyConfig {
  /** Native config object (not yet validated by the core's schema). */
  config: Record<string, unknown>;
  /** Where the meaning differs from what upstream did with the same file. */
  warnings: string[];
  /** Per upstream key without a direct native equivalent (comments for `config import`). */
  notes: LegacyNote[];
}

export interface LegacyConfigDetailed extends LegacyConfig {
  upstream: UpstreamSummary;
}

/** True for paths the legacy loader handles. */
export function isLegacyConfigPath(file: string): boolean {
  return /\.cfg$/i.test(file);
}

export async function loadLegacyConfig(file: string): Promise<LegacyConfig> {
  const { config, warnings, notes } = await loadLegacyConfigDetailed(file);
  return { config, warnings, notes };
}

export async function loadLegacyConfigDetailed(file: string): Promise<LegacyConfigDetailed> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ContinuumError(
      LEGACY_CONFIG_ERROR,
      `${file}: cannot read the config file (${code ?? (err as Error).message})`,
      {
        hint: code === 'ENOENT' ? 'Check the path.' : 'Check the file permissions.',
        details: { file },
        cause: err,
      },
    );
  }
  return convertLegacyText(text, file);
}

/** Parse and convert .cfg text; `file` is only used in messages. Throws ContinuumError(LEGACY_CONFIG). */
export function convertLegacyText(text: string, file: string): LegacyConfigDetailed {
  let doc;
  try {
    doc = parseIni(text);
  } catch (err) {
    if (err instanceof IniSyntaxError) {
      const where =
        err.section === undefined ? '' : ` [${err.section}]${err.key === undefined ? '' : ` ${err.key}`}`;
      throw new ContinuumError(LEGACY_CONFIG_ERROR, `${file}:${err.line}:${where} ${err.message}`, {
        hint: 'Upstream .cfg files are INI: [section] headers, "key = value" lines, comments on their own line starting with # or ;, each key once per section.',
        details: { file, line: err.line, section: err.section, key: err.key },
      });
    }
    throw err;
  }
  const converted = convertLegacy(doc);
  if (!converted.ok) throw issuesError(file, converted.reader.issues);
  const { config, warnings, notes, upstream } = converted.result;
  return { config, warnings, notes, upstream };
}

function describe(issue: LegacyIssue): string {
  const line = issue.line === undefined ? '' : ` (line ${issue.line})`;
  return issue.key === undefined
    ? `[${issue.section}]${line} ${issue.message}`
    : `[${issue.section}] ${issue.key}${line} ${issue.message}`;
}

const INLINE_HINT =
  'Inline comments are not supported in .cfg files (upstream rejects them too): put each comment on its own line starting with #.';
const SECTION_ORDER = ['infrastructure', 'benchmark', 'execution_model'];

function issuesError(file: string, all: LegacyIssue[]): ContinuumError {
  const sorted = [...all].sort(
    (a, b) =>
      SECTION_ORDER.indexOf(a.section) - SECTION_ORDER.indexOf(b.section) || (a.line ?? 0) - (b.line ?? 0),
  );
  // A file full of `value  # comment` lines (like upstream's template.cfg) gets one line, not one per key.
  const inline = sorted.filter((i) => i.inlineComment);
  let issues = sorted;
  if (inline.length > 3) {
    issues = sorted.filter((i) => !i.inlineComment);
    issues.unshift({
      section: inline[0]?.section ?? 'infrastructure',
      key: undefined,
      line: inline[0]?.line,
      message: `${inline.length} values carry inline comments ("value  # comment"): ${inline.map((i) => `${i.key} (line ${i.line})`).join(', ')}`,
      hint: undefined,
      inlineComment: true,
    });
  }
  const hints = [
    ...new Set([
      ...issues.map((i) => i.hint).filter((h): h is string => h !== undefined && h !== ''),
      ...(inline.length > 0 ? [INLINE_HINT] : []),
    ]),
  ];
  const message =
    issues.length === 1
      ? `${file}: ${describe(issues[0] as LegacyIssue)}`
      : `${file}: ${issues.length} problems in this upstream Continuum config:\n${issues.map((i) => `  - ${describe(i)}`).join('\n')}`;
  return new ContinuumError(LEGACY_CONFIG_ERROR, message, {
    ...(hints.length > 0 ? { hint: hints.join('\n') } : {}),
    // Not `issues`: the core prints details.issues as native config paths, and the message already lists these.
    details: {
      file,
      upstreamIssues: sorted.map((i) => ({
        section: i.section,
        key: i.key,
        line: i.line,
        message: i.message,
      })),
    },
  });
}
