/**
 * Render a converted config as YAML with the import notes as comments on the keys they concern.
 */
import { Document, isMap, isScalar, type Node } from 'yaml';
import type { LegacyNote } from './convert.js';

export function renderImportedYaml(
  config: Record<string, unknown>,
  notes: readonly LegacyNote[],
  source: string,
): string {
  const doc = new Document(config);
  doc.commentBefore = ` Converted from upstream Continuum config ${source} by \`continuum config import\`.`;
  const unplaced: string[] = [];
  for (const { path, note } of notes) {
    if (!attach(doc, path.split('.'), note)) unplaced.push(note);
  }
  if (unplaced.length > 0) doc.comment = unplaced.map((n) => ` ${n}`).join('\n');
  return doc.toString({ lineWidth: 0 });
}

/** Put the note before the key at `path`, or its nearest existing ancestor. */
function attach(doc: Document, path: string[], note: string): boolean {
  for (let len = path.length; len >= 1; len--) {
    const parentPath = path.slice(0, len - 1);
    const parent = parentPath.length === 0 ? doc.contents : (doc.getIn(parentPath, true) as Node | undefined);
    if (!isMap(parent)) continue;
    const pair = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === path[len - 1]);
    if (pair === undefined || !isScalar(pair.key)) continue;
    const previous = pair.key.commentBefore;
    pair.key.commentBefore = previous ? `${previous}\n ${note}` : ` ${note}`;
    return true;
  }
  return false;
}
