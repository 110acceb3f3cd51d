import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ContinuumError } from '@continuum/plugin-api';
import type { ResultsDocument } from '../engine/report.js';
import { renderReportHtml } from './html.js';

export { renderReportHtml, htmlTable, linkMatrix, page } from './html.js';
export { headline, workerLoad, energyRows, latencySeries, cdf } from './data.js';
export { renderCompareHtml, compareTable, formatCompare, type RunSummary } from './compare.js';

export function readResults(runDir: string): ResultsDocument {
  const file = join(runDir, 'results.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ResultsDocument;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ContinuumError(
      'RESULTS_NOT_FOUND',
      code === 'ENOENT'
        ? `${file} does not exist.`
        : `${file} is not readable JSON: ${(error as Error).message}`,
      {
        hint: 'Reports are made from a run directory with results.json (created by `continuum run` or `continuum bench`).',
      },
    );
  }
}

/**
 * Render `<runDir>/report.html` from `<runDir>/results.json`: self-contained (inline SVG and
 * CSS, nothing fetched at view time). Returns the file's path.
 */
export async function writeReport(runDir: string): Promise<string> {
  const doc = readResults(runDir);
  const file = join(runDir, 'report.html');
  await writeFile(file, renderReportHtml(doc));
  return file;
}
