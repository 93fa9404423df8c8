// Matrix expansion: axes -> every combination, minus excludes, plus includes, as plain data.
import { suggest } from './suggest.js';

/** Combination is one matrix entry: a value for every axis. */
export type Combination = Record<string, string>;

/** Selector picks combinations: every key must equal the value (or be one of the list). */
export type Selector = Record<string, string | string[]>;

/** MatrixInput is an image's `matrix`, `include` and `exclude`. */
export interface MatrixInput {
  axes: Record<string, string[]>;
  include: Combination[];
  exclude: Selector[];
}

/** Fail reports a problem at a path relative to the image (`['exclude', 0]`), or at the key `key` there; it throws. */
export type Fail = (path: Array<string | number>, message: string, key?: string) => never;

/** selects says whether a selector picks a combination. */
export function selects(selector: Selector, combination: Combination): boolean {
  return Object.entries(selector).every(([axis, wanted]) => {
    const value = combination[axis];
    return value !== undefined && (Array.isArray(wanted) ? wanted.includes(value) : wanted === value);
  });
}

function unknownAxis(axis: string, axes: readonly string[]): string {
  const hint = suggest(axis, axes);
  const known = axes.length ? `axes: ${axes.join(', ')}` : 'the image has no matrix';
  return `unknown axis "${axis}" (${hint ? `did you mean "${hint}"? ` : ''}${known})`;
}

/** checkSelector rejects a selector naming an axis the matrix does not have. */
export function checkSelector(selector: Selector, axes: readonly string[], path: Array<string | number>, fail: Fail): void {
  for (const axis of Object.keys(selector)) {
    if (!axes.includes(axis)) fail(path, unknownAxis(axis, axes), axis);
  }
}

/** expandMatrix lists the combinations in axis order (first axis outermost), then the includes. */
export function expandMatrix(input: MatrixInput, fail: Fail): Combination[] {
  const axes = Object.keys(input.axes);
  let product: Combination[] = [{}];
  for (const axis of axes) {
    const values = input.axes[axis]!;
    if (values.length === 0) fail(['matrix', axis], `axis "${axis}" has no values`);
    if (new Set(values).size !== values.length) fail(['matrix', axis], `axis "${axis}" lists a value twice`);
    product = product.flatMap((partial) => values.map((value) => ({ ...partial, [axis]: value })));
  }
  input.exclude.forEach((selector, i) => {
    checkSelector(selector, axes, ['exclude', i], fail);
    if (!product.some((combination) => selects(selector, combination))) {
      fail(['exclude', i], `exclude ${describe(selector)} matches no entry of the matrix`);
    }
  });
  const kept = product.filter((combination) => !input.exclude.some((selector) => selects(selector, combination)));
  // Keyed sets, not a scan of `kept` per include, so thousands of includes stay linear.
  const key = (combination: Combination): string => JSON.stringify(axes.map((axis) => combination[axis]));
  const keys = new Set(kept.map(key));
  input.include.forEach((combination, i) => {
    checkSelector(combination, axes, ['include', i], fail);
    const missing = axes.find((axis) => combination[axis] === undefined);
    if (missing) fail(['include', i], `include needs a value for every axis: "${missing}" is missing`);
    if (keys.has(key(combination))) fail(['include', i], `include ${describe(combination)} is already in the matrix`);
    keys.add(key(combination));
    kept.push(Object.fromEntries(axes.map((axis) => [axis, combination[axis]!])));
  });
  if (kept.length === 0) fail(['matrix'], 'the matrix has no entries left after exclude');
  return kept;
}

/** describe renders a selector the way kiln.yaml writes it: `{python: 3.11, variant: gpu}`. */
export function describe(selector: Selector): string {
  return `{${Object.entries(selector).map(([axis, value]) => `${axis}: ${Array.isArray(value) ? `[${value.join(', ')}]` : value}`).join(', ')}}`;
}
