// `--set PATH=VALUE`: command-line overrides of kiln.yaml values, as buildx bake users know them, applied to the parsed
// YAML document before validation so the result is checked exactly as if the file said it.
import { isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { ConfigError } from '../errors.js';
import { suggest } from './suggest.js';

/** Override is one parsed `--set`: the path as given, its segments in the document, and the value. */
export interface Override {
  /** flag is how errors name it: `--set images.hello.tags`. */
  flag: string;
  /** path is where the value went in the document (keys, and indexes into lists). */
  path: (string | number)[];
  value: unknown;
}

/**
 * parseOverrideValue reads VALUE as a YAML flow scalar or collection (`3.12`, `true`, `[a, b]`, `{K: v}`). A plain
 * scalar that YAML would read as a number keeps its text: every number in kiln.yaml also takes a string, and YAML
 * would turn 3.10 into 3.1. Text that is not a flow value (`a: b`) is taken as the string it is.
 */
export function parseOverrideValue(text: string, flag: string): unknown {
  if (text.trim() === '') return '';
  const doc = parseDocument(text, { prettyErrors: false });
  const error = doc.errors[0];
  if (error) throw new ConfigError(`${flag}: "${text}" is not a YAML value (${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')})`);
  const node = doc.contents;
  if (isScalar(node)) return typeof node.value === 'number' ? text.trim() : node.value;
  if ((isSeq(node) || isMap(node)) && node.flow) return keepNumberText(doc.toJS(), node);
  return text;
}

// Numbers inside a flow collection keep their text too ([3.10, 3.11] stays two strings).
function keepNumberText(value: unknown, node: Node | null): unknown {
  if (isScalar(node)) return typeof node.value === 'number' && node.source !== undefined ? node.source : value;
  if (isSeq(node) && Array.isArray(value)) return value.map((item, index) => keepNumberText(item, node.items[index] as Node));
  if (isMap(node) && value && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
      result[key] = keepNumberText((value as Record<string, unknown>)[key], pair.value as Node);
    }
    return result;
  }
  return value;
}

/** splitOverride reads `PATH=VALUE`; the path is dotted (`images.server.python.version`). */
export function splitOverride(text: string): { flag: string; segments: string[]; value: unknown } {
  const equals = text.indexOf('=');
  const pathText = equals < 0 ? text : text.slice(0, equals);
  const flag = `--set ${pathText}`;
  if (equals < 0) throw new ConfigError(`${flag}: expected PATH=VALUE (e.g. --set images.NAME.tags=[latest])`);
  const segments = pathText.split('.');
  if (segments.some((segment) => segment === '')) throw new ConfigError(`${flag}: expected a dotted path of kiln.yaml keys (e.g. images.NAME.python.version)`);
  return { flag, segments, value: parseOverrideValue(text.slice(equals + 1), flag) };
}

function keysOf(map: Node): string[] {
  return isMap(map) ? map.items.flatMap((pair) => (isScalar(pair.key) ? [String(pair.key.value)] : [])) : [];
}

/**
 * applyOverrides sets each `PATH=VALUE` in the document, in order. Maps on the way are made when missing, except
 * an image: `images.NAME` must name one kiln.yaml has (a typo would otherwise add a half-written image). Names may
 * hold dots (`images.my.app.tags`): the longest run of segments naming an existing key wins.
 */
export function applyOverrides(doc: Document, overrides: readonly string[]): Override[] {
  return overrides.map((text) => {
    const { flag, segments, value } = splitOverride(text);
    const path: (string | number)[] = [];
    let node = doc.contents as Node | null;
    for (let index = 0; index < segments.length;) {
      const where = path.length ? path.join('.') : 'the manifest';
      let key: string | number;
      let used = 1;
      if (isSeq(node)) {
        const position = Number(segments[index]);
        if (!/^\d+$/.test(segments[index]!) || position >= node.items.length) throw new ConfigError(`${flag}: ${where} is a list of ${node.items.length}; "${segments[index]}" is not an index in it`);
        key = position;
      } else if (isMap(node)) {
        const keys = keysOf(node);
        used = 1;
        for (let end = segments.length; end > index; end--) {
          if (keys.includes(segments.slice(index, end).join('.'))) {
            used = end - index;
            break;
          }
        }
        key = segments.slice(index, index + used).join('.');
        if (path.length === 1 && path[0] === 'images' && !keys.includes(key)) {
          const hint = suggest(key, keys);
          throw new ConfigError(`${flag}: kiln.yaml has no image "${key}"${hint ? ` (did you mean "${hint}"?)` : ` (images: ${keys.join(', ')})`}`);
        }
      } else if (node === null && path.length === 0) {
        throw new ConfigError(`${flag}: the manifest is empty`);
      } else {
        throw new ConfigError(`${flag}: ${where} is ${isScalar(node) ? `the value ${JSON.stringify(node.value)}` : 'not a mapping'}, so it has no "${segments[index]}"`);
      }
      path.push(key);
      index += used;
      if (index === segments.length) {
        doc.setIn(path, doc.createNode(value, { flow: true }));
        break;
      }
      const next = doc.getIn(path, true) as Node | null | undefined;
      if (next === undefined || next === null || (isScalar(next) && next.value === null)) {
        doc.setIn(path, doc.createNode({}));
        node = doc.getIn(path, true) as Node;
      } else {
        node = next;
      }
    }
    return { flag, path, value };
  });
}

/** overrideAt names the `--set` that wrote the value at `path` (or inside it), if any. */
export function overrideAt(overrides: readonly Override[], path: ReadonlyArray<string | number>): Override | undefined {
  // The last one wins, as it did when they were applied.
  return [...overrides].reverse().find((override) => override.path.length <= path.length && override.path.every((segment, index) => String(segment) === String(path[index])));
}
