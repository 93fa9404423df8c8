// RECORD files (PEP 376 / 427): CSV rows of path, `algorithm=urlsafe-base64-digest`, size.
import { createHash } from 'node:crypto';
import { InputError } from '../../errors.js';

/** RecordRow is one RECORD line; hash and size are absent for RECORD itself and signatures. */
export interface RecordRow {
  path: string;
  hash?: string;
  size?: number;
}

/** recordHash formats a digest the way RECORD stores it: `sha256=` + unpadded urlsafe base64. */
export function recordHash(data: Buffer, algorithm = 'sha256'): string {
  return `${algorithm}=${createHash(algorithm).update(data).digest('base64url')}`;
}

/** parseRecord reads RECORD text with Python csv.reader rules (quoted fields, doubled quotes). */
export function parseRecord(text: string, what: string): RecordRow[] {
  const rows: RecordRow[] = [];
  for (const fields of parseCsv(text)) {
    if (fields.length === 1 && fields[0] === '') continue;
    if (fields.length !== 3) throw new InputError(`${what}: RECORD row "${fields.join(',')}" does not have 3 fields`);
    const [path, hash, size] = fields as [string, string, string];
    if (!path) throw new InputError(`${what}: RECORD has a row with an empty path`);
    if (hash && !/^[A-Za-z0-9_]+=[A-Za-z0-9_-]*$/.test(hash)) throw new InputError(`${what}: RECORD hash "${hash}" for "${path}" is malformed`);
    if (size && !/^\d+$/.test(size)) throw new InputError(`${what}: RECORD size "${size}" for "${path}" is not a number`);
    rows.push({ path, ...(hash ? { hash } : {}), ...(size ? { size: Number(size) } : {}) });
  }
  return rows;
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      rows.push(fields);
      fields = [];
      field = '';
    } else field += c;
    i++;
  }
  if (field !== '' || fields.length) {
    fields.push(field);
    rows.push(fields);
  }
  return rows;
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** formatRecord writes rows as Python's csv.writer does (minimal quoting, `\n` line ends). */
export function formatRecord(rows: readonly RecordRow[]): string {
  return rows.map((row) => [row.path, row.hash ?? '', row.size === undefined ? '' : String(row.size)].map(csvField).join(',') + '\n').join('');
}
