// PEP 508 requirement strings: `name[extra,...] (specifier) ; marker` or `name[extra] @ url ; marker`.
import { validRange } from '@renovatebot/pep440';
import { InputError, type SourceLocation } from '../errors.js';
import { parseMarker } from './markers.js';
import { normalizeName } from './names.js';
import type { Requirement } from './types.js';

const NAME = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*/;

/** parseRequirement parses one PEP 508 requirement; `where` names its file and line for the error. */
export function parseRequirement(text: string, where?: SourceLocation): Requirement {
  const fail = (problem: string): never => {
    throw new InputError(`invalid requirement ${JSON.stringify(text.trim())}: ${problem}`, { where });
  };
  const nameMatch = NAME.exec(text);
  if (!nameMatch) return fail('expected a package name');
  let rest = text.slice(nameMatch[0].length);
  const requirement: Requirement = { name: normalizeName(nameMatch[1]!), extras: [], specifier: '' };

  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0) fail('missing "]"');
    requirement.extras = rest.slice(1, end).split(',').map((extra) => extra.trim()).filter(Boolean).map(normalizeName);
    rest = rest.slice(end + 1).trimStart();
  }

  if (rest.startsWith('@')) {
    // A URL may itself contain ';', so its marker must follow whitespace (PEP 508).
    const match = /^@\s*(\S+)(?:\s+;\s*(.*))?\s*$/s.exec(rest);
    if (!match) return fail('expected a URL after "@"');
    requirement.url = match[1]!;
    if (match[2] !== undefined) requirement.marker = match[2].trim();
  } else {
    const semicolon = rest.indexOf(';');
    const spec = (semicolon < 0 ? rest : rest.slice(0, semicolon)).trim();
    if (semicolon >= 0) requirement.marker = rest.slice(semicolon + 1).trim();
    const unwrapped = spec.startsWith('(') && spec.endsWith(')') ? spec.slice(1, -1) : spec;
    if (unwrapped !== '' && !/^\s*(===|==|!=|<=|>=|~=|<|>)/.test(unwrapped)) fail(`unexpected ${JSON.stringify(spec)}`);
    requirement.specifier = unwrapped.split(',').map((part) => part.replace(/\s+/g, '')).filter(Boolean).join(',');
    if (requirement.specifier !== '' && !validRange(requirement.specifier)) fail(`invalid version specifier ${JSON.stringify(spec)}`);
  }
  if (requirement.marker !== undefined) {
    if (requirement.marker === '') return fail('empty marker after ";"');
    parseMarker(requirement.marker, where);
  }
  return requirement;
}
