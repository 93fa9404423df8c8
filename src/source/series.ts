// A patch series: the `*.patch` files of a folder in name order, or the order a quilt `series` file gives
// (comments, blank lines and `-pN` options as quilt writes them). Each patch is read once, hashed and parsed
// into its files and hunks, so a failure can name the hunk.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors.js';

/** Hunk is one `@@ -a,b +c,d @@` of a patch, for naming in errors. */
export interface Hunk {
  /** number counts from 1 within its file. */
  number: number;
  header: string;
  oldStart: number;
}

/** PatchFile is one file a patch changes, with its hunks. */
export interface PatchFile {
  path: string;
  hunks: Hunk[];
}

/** Patch is one file of a series. */
export interface Patch {
  name: string;
  path: string;
  data: Buffer;
  sha256: string;
  /** strip is the `-pN` of the series file (1 by default). */
  strip: number;
  files: PatchFile[];
  /** subject, body and author come from a mail header (`git format-patch`), else from the file name. */
  subject: string;
  body: string;
  author?: { name: string; email: string };
}

/** readSeries reads the series in `dir`; a folder with neither patches nor a series file is an empty series. */
export async function readSeries(dir: string): Promise<Patch[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new InputError(`patches folder ${dir}: ${(error as NodeJS.ErrnoException).code ?? 'cannot read'}`, { cause: error });
  }
  const order: Array<{ name: string; strip: number }> = [];
  if (names.includes('series')) {
    const text = await readFile(join(dir, 'series'), 'utf8');
    for (const [i, raw] of text.split('\n').entries()) {
      const line = raw.replace(/(^|\s)#.*$/, '').trim();
      if (!line) continue;
      const [name, ...options] = line.split(/\s+/);
      let strip = 1;
      for (const option of options) {
        const match = /^-p(\d+)$/.exec(option);
        if (!match) throw new InputError(`${join(dir, 'series')}:${i + 1}: unknown option "${option}" (kiln reads -pN)`);
        strip = Number(match[1]);
      }
      order.push({ name: name!, strip });
    }
  } else {
    for (const name of names.filter((file) => file.endsWith('.patch') || file.endsWith('.diff')).sort()) order.push({ name, strip: 1 });
  }
  const patches: Patch[] = [];
  for (const { name, strip } of order) {
    const path = join(dir, name);
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (error) {
      throw new InputError(`patch ${path}: ${(error as NodeJS.ErrnoException).code ?? 'cannot read'}`, { cause: error });
    }
    patches.push({ name, path, data, sha256: createHash('sha256').update(data).digest('hex'), strip, ...parsePatch(name, data.toString('utf8'), strip) });
  }
  return patches;
}

/** seriesDigest names a series by its patches' names, order and content. */
export function seriesDigest(patches: ReadonlyArray<{ name: string; sha256: string }>): string {
  return createHash('sha256').update(JSON.stringify(patches.map((patch) => [patch.name, patch.sha256]))).digest('hex');
}

function stripPath(path: string, strip: number): string {
  return path.split('/').slice(strip).join('/');
}

/** parsePatch reads a patch's mail header (if any) and the files and hunks of its diff. */
export function parsePatch(name: string, text: string, strip = 1): Pick<Patch, 'files' | 'subject' | 'body' | 'author'> {
  const lines = text.split('\n');
  const start = lines.findIndex((line, i) => line.startsWith('diff --git ') || (line.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')));
  const header = lines.slice(0, start < 0 ? lines.length : start);
  const files: PatchFile[] = [];
  let current: PatchFile | undefined;
  for (let i = Math.max(start, 0); i < lines.length && start >= 0; i++) {
    const line = lines[i]!;
    const plusplus = /^\+\+\+ (.+?)(\t.*)?$/.exec(line);
    if (plusplus && lines[i - 1]?.startsWith('--- ')) {
      const target = plusplus[1] === '/dev/null' ? /^--- (.+?)(\t.*)?$/.exec(lines[i - 1]!)![1]! : plusplus[1]!;
      current = { path: stripPath(target, strip), hunks: [] };
      files.push(current);
      continue;
    }
    const hunk = /^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@/.exec(line);
    if (hunk && current) current.hunks.push({ number: current.hunks.length + 1, header: hunk[0], oldStart: Number(hunk[1]) });
  }
  return { files, ...mailHeader(name, header) };
}

// `git format-patch` mails start with From/Date/Subject; a plain diff may have free text, which becomes the body.
function mailHeader(name: string, header: string[]): Pick<Patch, 'subject' | 'body' | 'author'> {
  let subject = '';
  let author: Patch['author'];
  let i = 0;
  if (header[0]?.startsWith('From ') && /^From [0-9a-f]{40} /.test(header[0])) i = 1;
  const fields = new Map<string, string>();
  for (; i < header.length; i++) {
    const line = header[i]!;
    if (line === '') break;
    const field = /^([A-Za-z-]+):\s?(.*)$/.exec(line);
    if (field) fields.set(field[1]!.toLowerCase(), field[2]!);
    else if (/^\s/.test(line) && fields.size) {
      const last = [...fields.keys()].at(-1)!;
      fields.set(last, `${fields.get(last)} ${line.trim()}`);
    } else {
      i = 0;
      fields.clear();
      break;
    }
  }
  if (fields.has('subject')) {
    subject = fields.get('subject')!.replace(/^\[PATCH[^\]]*\]\s*/, '');
    const from = /^(.*?)\s*<([^>]*)>$/.exec(fields.get('from') ?? '');
    if (from) author = { name: from[1]!.replace(/^"|"$/g, ''), email: from[2]! };
  } else i = 0;
  let rest = header.slice(fields.has('subject') ? i + 1 : 0);
  const separator = rest.findIndex((line) => line === '---');
  if (separator >= 0) rest = rest.slice(0, separator);
  const body = rest.join('\n').trim();
  if (!subject) {
    subject = name.replace(/\.(patch|diff)$/, '').replace(/^\d+-/, '').replace(/-/g, ' ');
    return { subject, body, ...(author ? { author } : {}) };
  }
  return { subject, body, ...(author ? { author } : {}) };
}
