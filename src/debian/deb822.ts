// Control-file (deb822) stanzas: Packages indexes, Release files, DEBIAN/control, dpkg status.
import { InputError } from '../errors.js';

/** Stanza is one paragraph of fields in file order; multi-line values keep their continuation lines verbatim. */
export class Stanza {
  private index?: Map<string, string>;

  constructor(
    /** fields in file order; a value's continuation lines keep their leading whitespace so formatting round-trips. */
    readonly fields: Array<[field: string, value: string]>,
    /** line is where the stanza starts (1-based), for errors. */
    readonly line = 0,
  ) {}

  /** get returns a field's value; names are case-insensitive, as deb822 says. */
  get(name: string): string | undefined {
    if (!this.index) {
      this.index = new Map();
      for (const [field, value] of this.fields) this.index.set(field.toLowerCase(), value);
    }
    return this.index.get(name.toLowerCase());
  }

  /** lines returns a multi-line field (like Release's SHA256) as trimmed, non-empty lines. */
  lines(name: string): string[] {
    return (this.get(name) ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  }
}

/** parseDeb822 splits text into stanzas; `file` names the source in errors (file:line). */
export function parseDeb822(text: string, file = '<control>'): Stanza[] {
  const stanzas: Stanza[] = [];
  let fields: Array<[string, string]> = [];
  let start = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') {
      if (fields.length) stanzas.push(new Stanza(fields, start));
      fields = [];
      continue;
    }
    if (line.startsWith('#')) continue;
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      const last = fields[fields.length - 1];
      if (!last) throw new InputError(`continuation line with no field before it`, { where: { file, line: i + 1 } });
      last[1] += `\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new InputError(`expected "Field: value", got "${line.slice(0, 60)}"`, { where: { file, line: i + 1 } });
    if (!fields.length) start = i + 1;
    fields.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  if (fields.length) stanzas.push(new Stanza(fields, start));
  return stanzas;
}

/** formatStanza writes fields back in control syntax (the inverse of parseDeb822 for one stanza). */
export function formatStanza(fields: ReadonlyArray<readonly [string, string]>): string {
  return fields.map(([field, value]) => (value.startsWith('\n') ? `${field}:${value}\n` : `${field}: ${value}\n`)).join('');
}
