import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';

/** Maps a config path to `file:line`, for YAML (and JSON, which the YAML parser also reads). */
export interface SourceLocator {
  file: string;
  locate(path: readonly PropertyKey[]): string | undefined;
}

export function yamlLocator(file: string, text: string): SourceLocator {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: false });
  const lineOf = (node: YamlNode | undefined): number | undefined => {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  return {
    file,
    locate(path) {
      // Walk down as far as the path exists; a missing key is reported at its parent.
      let node: unknown = doc.contents;
      let best = lineOf(doc.contents ?? undefined);
      for (const key of path) {
        if (isMap(node)) {
          const pair = node.items.find(
            (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key),
          );
          if (pair === undefined) break;
          best = lineOf(pair.key as YamlNode) ?? best;
          node = pair.value;
        } else if (isSeq(node) && typeof key === 'number') {
          const item = node.items[key];
          if (item === undefined) break;
          best = lineOf(item as YamlNode) ?? best;
          node = item;
        } else break;
      }
      return best === undefined ? undefined : `${file}:${best}`;
    },
  };
}
