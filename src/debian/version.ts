// Debian version ordering (Debian Policy 5.6.12, as dpkg implements it) and relation checks.
import { InputError } from '../errors.js';

/** DebianVersion is a version split into its three parts; a missing epoch is 0, a missing revision is ''. */
export interface DebianVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

/** Relation is a version relation operator as written in Depends fields. */
export type Relation = '<<' | '<=' | '=' | '>=' | '>>';

/** parseVersion splits `[epoch:]upstream[-revision]`; `what` names the version's owner in errors. */
export function parseVersion(text: string, what = 'version'): DebianVersion {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  let epoch = 0;
  if (colon >= 0) {
    const epochText = trimmed.slice(0, colon);
    if (!/^\d+$/.test(epochText)) throw new InputError(`${what}: epoch in "${text}" is not a number`);
    epoch = Number(epochText);
  }
  const rest = trimmed.slice(colon + 1);
  const dash = rest.lastIndexOf('-');
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : '';
  if (upstream === '') throw new InputError(`${what}: "${text}" has an empty upstream version`);
  return { epoch, upstream, revision };
}

// Weight of a non-digit character: `~` sorts before anything, even the end of the string;
// letters sort before non-letters.
function order(code: number | undefined): number {
  if (code === undefined) return 0;
  if (code === 0x7e) return -1;
  if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) return code;
  if (code >= 0x30 && code <= 0x39) return 0;
  return code + 256;
}

function isDigit(code: number | undefined): boolean {
  return code !== undefined && code >= 0x30 && code <= 0x39;
}

// dpkg's verrevcmp: alternate non-digit runs (compared by weight) and digit runs (compared as numbers).
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(i < a.length ? a.charCodeAt(i) : undefined);
      const bc = order(j < b.length ? b.charCodeAt(j) : undefined);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a.charCodeAt(i))) return 1;
    if (isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

/** compareVersions orders two versions like `dpkg --compare-versions`: negative, zero or positive. */
export function compareVersions(a: string | DebianVersion, b: string | DebianVersion): number {
  const x = typeof a === 'string' ? parseVersion(a) : a;
  const y = typeof b === 'string' ? parseVersion(b) : b;
  if (x.epoch !== y.epoch) return x.epoch - y.epoch;
  return Math.sign(compareFragment(x.upstream, y.upstream)) || Math.sign(compareFragment(x.revision, y.revision));
}

/** parseRelation accepts the five operators and the obsolete `<` (<=) and `>` (>=). */
export function parseRelation(text: string): Relation {
  switch (text) {
    case '<<': case '<=': case '=': case '>=': case '>>': return text;
    case '<': return '<=';
    case '>': return '>=';
    default: throw new InputError(`unknown version relation "${text}"`);
  }
}

/** satisfies tells whether `version` stands in `relation` to `target`, e.g. satisfies('2.1', '>=', '2'). */
export function satisfies(version: string, relation: Relation, target: string): boolean {
  const c = compareVersions(version, target);
  switch (relation) {
    case '<<': return c < 0;
    case '<=': return c <= 0;
    case '=': return c === 0;
    case '>=': return c >= 0;
    case '>>': return c > 0;
  }
}
