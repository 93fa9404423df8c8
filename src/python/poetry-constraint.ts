// Poetry's version constraints (`^1.2`, `~1.2`, `1.2.*`, `>=1 <2`, `a || b`) as PEP 440 specifier sets.
import { InputError, type SourceLocation } from '../errors.js';

const OPERATOR = /^(===|==|!=|<=|>=|~=|<|>|\^|~|=)?\s*(.*)$/;

/**
 * poetryConstraintToPep440 converts a Poetry constraint; alternatives (`||`) stay joined by ` || `,
 * since a PEP 440 specifier set cannot express a union. `*` and '' become ''.
 */
export function poetryConstraintToPep440(constraint: string, where?: SourceLocation): string {
  const alternatives = constraint.split(/\s*\|\|?\s*/).map((alternative) => convertAll(alternative, constraint, where));
  return alternatives.includes('') ? '' : alternatives.join(' || ');
}

function convertAll(alternative: string, whole: string, where?: SourceLocation): string {
  // Poetry accepts both `>=1,<2` and `>=1 <2`; glue operators to their versions before splitting on spaces.
  const parts = alternative.replace(/(===|==|!=|<=|>=|~=|<|>|\^|~|=)\s+/g, '$1').split(/[\s,]+/).filter(Boolean);
  return parts.map((part) => convertOne(part, whole, where)).filter(Boolean).join(',');
}

function convertOne(part: string, whole: string, where?: SourceLocation): string {
  if (part === '*') return '';
  const [, op = '', version = ''] = OPERATOR.exec(part)!;
  if (!/^v?\d+(\.(\d+|\*))*([A-Za-z0-9.+!-]*)$/.test(version)) {
    throw new InputError(`invalid version constraint ${JSON.stringify(whole)}`, { where });
  }
  const bare = version.replace(/^v/, '');
  if (op === '^') return caret(bare);
  if (op === '~') return tilde(bare);
  if (op === '' || op === '=') return `==${bare}`;
  return `${op}${bare}`;
}

function release(version: string): number[] {
  return (/^\d+(\.\d+)*/.exec(version)?.[0] ?? '0').split('.').map(Number);
}

// ^1.2.3 := >=1.2.3,<2.0.0; ^0.2.3 := <0.3.0; ^0.0.3 := <0.0.4 (the first non-zero part is fixed).
function caret(version: string): string {
  const parts = release(version);
  let index = parts.findIndex((part) => part !== 0);
  if (index < 0) index = parts.length - 1;
  if (index >= parts.length) index = parts.length - 1;
  const upper = parts.slice(0, index + 1);
  upper[index]! += 1;
  return `>=${version},<${upper.join('.')}`;
}

// ~1.2.3 := >=1.2.3,<1.3.0; ~1.2 := <1.3; ~1 := <2.
function tilde(version: string): string {
  const parts = release(version);
  const upper = parts.length === 1 ? [parts[0]! + 1] : [parts[0]!, parts[1]! + 1];
  return `>=${version},<${upper.join('.')}`;
}
