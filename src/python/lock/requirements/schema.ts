// The requirements-file grammar (pip's subset that locks use): logical lines in, typed entries out, each
// with its file:line. Includes (-r, -c) are returned as entries; extract.ts follows them.
import { InputError, type SourceLocation } from '../../../errors.js';

/** RequirementsEntry is one meaningful line of a requirements file. */
export type RequirementsEntry =
  | { kind: 'requirement'; text: string; hashes: string[]; editable: boolean; where: SourceLocation }
  | { kind: 'include'; file: string; constraint: boolean; where: SourceLocation }
  | { kind: 'index-url' | 'extra-index-url' | 'find-links'; value: string; where: SourceLocation }
  | { kind: 'no-index'; where: SourceLocation };

// Options that do not change what is installed from a lock.
const IGNORED = new Set(['--pre', '--prefer-binary', '--require-hashes', '--only-binary', '--no-binary', '--trusted-host', '--use-feature', '--no-deps']);
const TAKES_VALUE = new Set(['--only-binary', '--no-binary', '--trusted-host', '--use-feature']);

/** parseRequirementsText splits a requirements file into entries; `file` names it in entries and errors. */
export function parseRequirementsText(text: string, file: string): RequirementsEntry[] {
  const entries: RequirementsEntry[] = [];
  for (const { line, number } of logicalLines(text)) {
    const where = { file, line: number };
    const tokens = line.split(/\s+/).filter(Boolean);
    if (tokens.length === 0) continue;
    const first = tokens[0]!;
    if (first.startsWith('-') && !['-e', '--editable'].includes(first)) {
      entries.push(...optionEntries(tokens, where));
      continue;
    }
    const editable = first === '-e' || first === '--editable';
    const rest = editable ? tokens.slice(1) : tokens;
    const hashes: string[] = [];
    const words: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const token = rest[i]!;
      if (token.startsWith('--hash=')) hashes.push(token.slice('--hash='.length));
      else if (token === '--hash' && rest[i + 1]) hashes.push(rest[++i]!);
      else if (token.startsWith('--')) throw new InputError(`unsupported requirement option ${token}`, { where });
      else words.push(token);
    }
    if (words.length === 0) throw new InputError('expected a requirement', { where });
    entries.push({ kind: 'requirement', text: words.join(' '), hashes, editable, where });
  }
  return entries;
}

function optionEntries(tokens: string[], where: SourceLocation): RequirementsEntry[] {
  const [flag, inlineValue] = tokens[0]!.includes('=') ? tokens[0]!.split(/=(.*)/s) : [tokens[0]!, undefined];
  const value = inlineValue ?? tokens[1];
  const need = (): string => {
    if (!value) throw new InputError(`${flag} needs a value`, { where });
    return value;
  };
  switch (flag) {
    case '-r': case '--requirement': return [{ kind: 'include', file: need(), constraint: false, where }];
    case '-c': case '--constraint': return [{ kind: 'include', file: need(), constraint: true, where }];
    case '-i': case '--index-url': return [{ kind: 'index-url', value: need(), where }];
    case '--extra-index-url': return [{ kind: 'extra-index-url', value: need(), where }];
    case '-f': case '--find-links': return [{ kind: 'find-links', value: need(), where }];
    case '--no-index': return [{ kind: 'no-index', where }];
    default:
      if (IGNORED.has(flag!) || TAKES_VALUE.has(flag!)) return [];
      throw new InputError(`unsupported option ${flag}`, { where });
  }
}

// Joins `\`-continued lines and drops comments (a `#` at the start or after whitespace), keeping first line numbers.
function logicalLines(text: string): Array<{ line: string; number: number }> {
  const out: Array<{ line: string; number: number }> = [];
  let pending = '';
  let start = 0;
  text.split(/\r?\n/).forEach((raw, index) => {
    if (pending === '') start = index + 1;
    const line = raw.replace(/(^|\s)#.*$/, '');
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      return;
    }
    out.push({ line: pending + line, number: start });
    pending = '';
  });
  if (pending) out.push({ line: pending, number: start });
  return out;
}
