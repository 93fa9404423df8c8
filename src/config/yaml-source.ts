// Parsing YAML while keeping positions, so every config error can say file:line:column.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node, type Scalar } from 'yaml';
import { ConfigError, type SourceLocation } from '../errors.js';
import { applyOverrides, overrideAt } from './overrides.js';

/** YamlSource is a parsed YAML file that can locate any path in it. */
export interface YamlSource {
  file: string;
  value: unknown;
  /** locate gives the position of the value at `path`, or of the key `key` inside it. */
  locate(path: ReadonlyArray<string | number>, key?: string): SourceLocation;
}

/**
 * parseYamlSource parses text; a syntax error becomes a ConfigError with file:line:column. `overrides` (`--set
 * PATH=VALUE`) are applied to the document, and a location inside an overridden value is the `--set` that wrote it.
 */
export function parseYamlSource(file: string, text: string, overrides: readonly string[] = []): YamlSource {
  const lineCounter = new LineCounter();
  // The library's own duplicate-key check compares each key with every earlier one (a 32,000-key map
  // takes most of a minute), so keys are checked here with one set per map instead.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const position = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const firstError = doc.errors[0];
  if (firstError) {
    const message = firstError.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError(`YAML syntax: ${message}`, { where: position(firstError.pos[0]) });
  }
  const duplicate = firstDuplicateKey(doc);
  if (duplicate) throw new ConfigError(`YAML syntax: duplicate key "${String(duplicate.value)}" (map keys must be unique)`, { where: position(duplicate.range?.[0] ?? 0) });
  const applied = applyOverrides(doc, overrides);
  return {
    file,
    value: doc.toJS({ maxAliasCount: 100 }),
    locate(path, key) {
      const override = overrideAt(applied, key === undefined ? path : [...path, key]);
      if (override) return { file: override.flag };
      const { node, depth } = deepestNode(doc, path);
      let target: Node | undefined = node;
      if (key !== undefined && depth === path.length && isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === key);
        if (pair && isScalar(pair.key)) target = pair.key;
      } else if (depth === path.length && target && depth > 0) {
        // Point at the key of the value when there is one: that is where a reader looks.
        const parent = deepestNode(doc, path.slice(0, -1)).node;
        if (isMap(parent)) {
          const last = String(path[path.length - 1]);
          const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === last);
          if (pair && isScalar(pair.key) && !isMap(pair.value) && !isSeq(pair.value)) target = pair.value as Node;
        }
      }
      const offset = target?.range?.[0] ?? 0;
      return position(offset);
    },
  };
}

// Keys are compared as the strings they become in the parsed object, so `1` and "1" count as the same key.
function firstDuplicateKey(doc: Document): Scalar | undefined {
  let found: Scalar | undefined;
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (seen.has(key)) {
          found = pair.key;
          return visit.BREAK;
        }
        seen.add(key);
      }
      return undefined;
    },
  });
  return found;
}

function deepestNode(doc: Document, path: ReadonlyArray<string | number>): { node: Node | undefined; depth: number } {
  let node = doc.contents as Node | undefined;
  let depth = 0;
  for (const segment of path) {
    let next: Node | undefined;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      next = pair?.value as Node | undefined;
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment] as Node | undefined;
    }
    if (!next) break;
    node = next;
    depth++;
  }
  return { node, depth };
}
