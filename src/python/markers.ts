// PEP 508 environment markers: parse once, evaluate against an image's TargetEnvironment. PEP 751's
// `extras` and `dependency_groups` set variables are understood too, so pylock.toml needs no special case.
import { satisfies, valid } from '@renovatebot/pep440';
import { InputError, type SourceLocation } from '../errors.js';
import { normalizeName } from './names.js';
import type { TargetEnvironment } from './types.js';

/** MarkerNode is a parsed marker: a comparison, or `and`/`or` over two markers. */
export type MarkerNode =
  | { kind: 'compare'; left: MarkerValue; op: MarkerOp; right: MarkerValue }
  | { kind: 'and' | 'or'; left: MarkerNode; right: MarkerNode };

/** MarkerValue is one side of a comparison: an environment variable or a quoted string. */
export type MarkerValue = { kind: 'variable'; name: string } | { kind: 'string'; value: string };

/** MarkerOp lists PEP 508's marker operators. */
export type MarkerOp = '<=' | '<' | '!=' | '==' | '>=' | '>' | '~=' | '===' | 'in' | 'not in';

/** MarkerEnvironment holds the values of marker variables; `extra` and the PEP 751 variables are sets. */
export interface MarkerEnvironment {
  values: Record<string, string>;
  extras: ReadonlySet<string>;
  dependencyGroups: ReadonlySet<string>;
}

const VARIABLES = new Set([
  'python_version', 'python_full_version', 'os_name', 'sys_platform', 'platform_release', 'platform_system',
  'platform_version', 'platform_machine', 'platform_python_implementation', 'implementation_name',
  'implementation_version', 'extra', 'extras', 'dependency_groups',
]);
// Dotted spellings from PEP 345 that old metadata (and some locks) still carry.
const LEGACY: Record<string, string> = {
  'os.name': 'os_name', 'sys.platform': 'sys_platform', 'platform.version': 'platform_version',
  'platform.machine': 'platform_machine', 'platform.python_implementation': 'platform_python_implementation',
  python_implementation: 'platform_python_implementation',
};
const OPERATORS: MarkerOp[] = ['===', '<=', '>=', '!=', '==', '~=', '<', '>'];

/** markerEnvironment gives the marker values of a target, with the extras and groups being installed. */
export function markerEnvironment(
  target: TargetEnvironment,
  selection: { extras?: Iterable<string>; groups?: Iterable<string> } = {},
): MarkerEnvironment {
  return {
    values: {
      python_version: target.pythonVersion,
      python_full_version: target.pythonFullVersion,
      implementation_version: target.pythonFullVersion,
      implementation_name: target.implementation,
      platform_python_implementation: target.implementation === 'cpython' ? 'CPython' : target.implementation,
      os_name: target.osName,
      sys_platform: target.sysPlatform,
      platform_system: target.platformSystem,
      platform_machine: target.platformMachine,
      platform_release: target.platformRelease ?? '',
      platform_version: '',
    },
    extras: new Set([...(selection.extras ?? [])].map(normalizeName)),
    dependencyGroups: new Set([...(selection.groups ?? [])].map(normalizeName)),
  };
}

const cache = new Map<string, MarkerNode>();

/** parseMarker parses marker text; `where` names the file (and line) for the error. */
export function parseMarker(text: string, where?: SourceLocation): MarkerNode {
  const cached = cache.get(text);
  if (cached) return cached;
  const node = new MarkerParser(text, where).parse();
  cache.set(text, node);
  return node;
}

/** evaluateMarker tells whether a marker holds in an environment; an absent or blank marker always holds. */
export function evaluateMarker(marker: string | MarkerNode | undefined, env: MarkerEnvironment, where?: SourceLocation): boolean {
  if (marker === undefined) return true;
  if (typeof marker === 'string') {
    if (marker.trim() === '') return true;
    marker = parseMarker(marker, where);
  }
  return evaluate(marker, env);
}

function evaluate(node: MarkerNode, env: MarkerEnvironment): boolean {
  if (node.kind !== 'compare') {
    return node.kind === 'and'
      ? evaluate(node.left, env) && evaluate(node.right, env)
      : evaluate(node.left, env) || evaluate(node.right, env);
  }
  const { left, op, right } = node;
  const setSide = setVariable(left) ?? setVariable(right);
  if (setSide) return compareWithSet(node, env);
  return compare(resolve(left, env), op, resolve(right, env));
}

function setVariable(value: MarkerValue): string | undefined {
  return value.kind === 'variable' && ['extra', 'extras', 'dependency_groups'].includes(value.name) ? value.name : undefined;
}

// `extra == "gpu"` asks whether gpu is among the extras being installed; PEP 751's `"gpu" in extras`
// asks the same of a set. Names compare normalised, as PEP 685 requires.
function compareWithSet(node: Extract<MarkerNode, { kind: 'compare' }>, env: MarkerEnvironment): boolean {
  const { left, op, right } = node;
  const variable = left.kind === 'variable' && setVariable(left) ? left : right;
  const other = variable === left ? right : left;
  if (other.kind !== 'string') return false;
  const name = (variable as { name: string }).name;
  const set = name === 'dependency_groups' ? env.dependencyGroups : env.extras;
  const member = set.has(normalizeName(other.value));
  if (name === 'extra' && (op === '==' || op === '===')) return member;
  if (name === 'extra' && op === '!=') return !member;
  if (name !== 'extra' && variable === right && op === 'in') return member;
  if (name !== 'extra' && variable === right && op === 'not in') return !member;
  return false;
}

function resolve(value: MarkerValue, env: MarkerEnvironment): string {
  return value.kind === 'string' ? value.value : env.values[value.name] ?? '';
}

// Like `packaging`: when `op right` is a valid PEP 440 specifier, compare as versions (an invalid left
// version never matches); otherwise compare as strings.
function compare(left: string, op: MarkerOp, right: string): boolean {
  if (op === 'in') return right.includes(left);
  if (op === 'not in') return !right.includes(left);
  if (op === '===') return left === right;
  if (isSpecifierVersion(op, right)) return valid(left) !== null && satisfies(left, `${op}${right}`, { prereleases: true });
  switch (op) {
    case '==': return left === right;
    case '!=': return left !== right;
    case '<': return left < right;
    case '<=': return left <= right;
    case '>': return left > right;
    case '>=': return left >= right;
    default: return false;
  }
}

function isSpecifierVersion(op: MarkerOp, text: string): boolean {
  const wildcard = (op === '==' || op === '!=') && text.endsWith('.*');
  return valid(wildcard ? text.slice(0, -2) : text) !== null;
}

class MarkerParser {
  private pos = 0;

  constructor(private readonly text: string, private readonly where?: SourceLocation) {}

  parse(): MarkerNode {
    const node = this.parseOr();
    this.skipSpace();
    if (this.pos < this.text.length) this.fail(`unexpected ${JSON.stringify(this.text.slice(this.pos))}`);
    return node;
  }

  private parseOr(): MarkerNode {
    let node = this.parseAnd();
    while (this.keyword('or')) node = { kind: 'or', left: node, right: this.parseAnd() };
    return node;
  }

  private parseAnd(): MarkerNode {
    let node = this.parseAtom();
    while (this.keyword('and')) node = { kind: 'and', left: node, right: this.parseAtom() };
    return node;
  }

  private parseAtom(): MarkerNode {
    this.skipSpace();
    if (this.text[this.pos] === '(') {
      this.pos++;
      const node = this.parseOr();
      this.skipSpace();
      if (this.text[this.pos] !== ')') this.fail('missing ")"');
      this.pos++;
      return node;
    }
    const left = this.parseValue();
    const op = this.parseOp();
    const right = this.parseValue();
    return { kind: 'compare', left, op, right };
  }

  private parseValue(): MarkerValue {
    this.skipSpace();
    const quote = this.text[this.pos];
    if (quote === '"' || quote === "'") {
      const end = this.text.indexOf(quote, this.pos + 1);
      if (end < 0) this.fail('unterminated string');
      const value = this.text.slice(this.pos + 1, end);
      this.pos = end + 1;
      return { kind: 'string', value };
    }
    const match = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(this.text.slice(this.pos));
    if (!match) this.fail(`expected a marker variable or a quoted string at ${JSON.stringify(this.text.slice(this.pos))}`);
    const raw = match![0];
    const name = LEGACY[raw] ?? raw;
    if (!VARIABLES.has(name)) this.fail(`unknown marker variable ${raw}`);
    this.pos += raw.length;
    return { kind: 'variable', name };
  }

  private parseOp(): MarkerOp {
    this.skipSpace();
    if (this.keyword('in')) return 'in';
    if (this.keyword('not')) {
      if (!this.keyword('in')) this.fail('expected "in" after "not"');
      return 'not in';
    }
    const op = OPERATORS.find((candidate) => this.text.startsWith(candidate, this.pos));
    if (!op) this.fail(`expected a comparison operator at ${JSON.stringify(this.text.slice(this.pos))}`);
    this.pos += op!.length;
    return op!;
  }

  private keyword(word: string): boolean {
    this.skipSpace();
    const rest = this.text.slice(this.pos);
    if (!rest.startsWith(word) || /[A-Za-z0-9_]/.test(rest[word.length] ?? '')) return false;
    this.pos += word.length;
    return true;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private fail(problem: string): never {
    throw new InputError(`invalid marker ${JSON.stringify(this.text)}: ${problem}`, { where: this.where });
  }
}
