// A minimal reader for one deb822 stanza: the `control` file inside a .deb.
import { InputError } from '../errors.js';

/** ControlFields are a stanza's fields in file order; continuation lines stay in the value after a newline. */
export type ControlFields = Array<[field: string, value: string]>;

/** parseControlStanza reads the first stanza of a control file; `what` names the package in errors. */
export function parseControlStanza(text: string, what: string): ControlFields {
  const fields: ControlFields = [];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') {
      if (fields.length) break;
      continue;
    }
    if (line.startsWith('#')) continue;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      const last = fields.at(-1);
      if (!last) throw new InputError(`${what}: control:${index + 1}: continuation line before any field`);
      last[1] += `\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new InputError(`${what}: control:${index + 1}: expected "Field: value"`);
    fields.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  if (!fields.length) throw new InputError(`${what}: control file is empty`);
  return fields;
}

/** controlField finds a field case-insensitively, as deb822 requires. */
export function controlField(fields: ControlFields, name: string): string | undefined {
  const lower = name.toLowerCase();
  return fields.find(([field]) => field.toLowerCase() === lower)?.[1];
}

/** relationNames lists the package names a relation field (Replaces, Provides, ...) mentions. */
export function relationNames(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(/[,|]/).map((part) => part.trim().split(/[\s(:[]/)[0]!).filter(Boolean);
}

/** formatControlStanza writes fields back as deb822 text ending in a newline. */
export function formatControlStanza(fields: ControlFields): string {
  return fields.map(([field, value]) => `${field}:${value.startsWith('\n') ? '' : ' '}${value}\n`).join('');
}
