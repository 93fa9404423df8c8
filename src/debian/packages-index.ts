// Packages indexes: downloaded, checked against the verified Release (size + SHA256) before any parsing,
// cached in the BlobStore by their digest, decompressed and turned into package records.
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { BlobStore } from '../cache/blob-store.js';
import { errorMessage, InputError } from '../errors.js';
import type { Digest } from '../oci/digest.js';
import { parseDeb822, Stanza } from './deb822.js';
import { httpGet, isNotFound, type HttpOptions } from './mirror.js';
import { componentDirs, distsUrl, type FetchedRelease } from './release.js';

const gunzipAsync = promisify(gunzip);

/** PackageRecord is one stanza of a Packages index with the fields the resolver needs pulled out. */
export interface PackageRecord {
  name: string;
  version: string;
  architecture: string;
  multiArch?: string;
  essential: boolean;
  preDepends?: string;
  depends?: string;
  recommends?: string;
  provides?: string;
  filename: string;
  size: number;
  sha256: string;
  source?: string;
  installedSize?: number;
  /** priority ranks providers of a virtual package (required first). */
  priority?: string;
  /** mirror and suite say which source the record came from. */
  mirror: string;
  suite: string;
  stanza: Stanza;
}

/** PackagesIndex is one verified index: a component and architecture of one source. */
export interface PackagesIndex {
  url: string;
  component: string;
  architecture: string;
  /** sha256 of the (compressed) file as listed in Release. */
  sha256: string;
  packages: PackageRecord[];
}

/** toRecord pulls the resolver's fields out of a stanza; `where` names the index in errors. */
export function toRecord(stanza: Stanza, mirror: string, suite: string, where: string): PackageRecord {
  return packageRecord((field) => stanza.get(field), () => stanza, stanza.line, mirror, suite, where);
}

// packageRecord builds a record from a field lookup (deb822 names, case-insensitive) and the stanza behind it, which
// is asked for only when someone reads it; `line` is where the stanza starts, for errors.
function packageRecord(get: (field: string) => string | undefined, stanza: () => Stanza, line: number, mirror: string, suite: string, where: string): PackageRecord {
  const need = (field: string): string => {
    const value = get(field);
    if (value === undefined) throw new InputError(`${where}:${line}: package stanza has no ${field}`);
    return value;
  };
  const installed = get('Installed-Size');
  return {
    name: need('Package'),
    version: need('Version'),
    architecture: need('Architecture'),
    multiArch: get('Multi-Arch'),
    essential: get('Essential') === 'yes',
    preDepends: get('Pre-Depends'),
    depends: get('Depends'),
    recommends: get('Recommends'),
    provides: get('Provides'),
    filename: need('Filename'),
    size: Number(need('Size')),
    sha256: need('SHA256'),
    source: get('Source'),
    installedSize: installed === undefined ? undefined : Number(installed),
    priority: get('Priority'),
    mirror,
    suite,
    get stanza() {
      return stanza();
    },
  };
}

/**
 * parsePackages turns an uncompressed Packages file into records. An archive's index holds some 60,000 stanzas of
 * which a build installs a few dozen, so each record keeps its stanza as the text it was cut from (a slice, which
 * shares the file's memory) and parses it only when asked; the resolver's fields are read straight off the lines.
 * A file with anything unusual for an archive index (carriage returns, comments, blank lines holding spaces, a line
 * that is not a field) goes through the general deb822 parser, so its errors say the same file:line.
 */
export function parsePackages(text: string, mirror: string, suite: string, where: string): PackageRecord[] {
  const general = (): PackageRecord[] => parseDeb822(text, where).map((stanza) => toRecord(stanza, mirror, suite, where));
  if (/\r|^#|^[ \t]+$/m.test(text)) return general();
  const records: PackageRecord[] = [];
  let at = 0;
  let line = 1;
  while (at < text.length) {
    if (text.charCodeAt(at) === 0x0a) {
      at++;
      line++;
      continue;
    }
    let end = text.indexOf('\n\n', at);
    if (end < 0) end = text.endsWith('\n') ? text.length - 1 : text.length;
    let read: IndexRecord | undefined;
    try {
      read = indexRecord(text.slice(at, end), line, mirror, suite, where);
    } catch {
      // A stanza missing a field: the general parser reports the first problem in the file, whatever it is.
    }
    if (!read) return general();
    records.push(read.record);
    // Past the stanza's lines and the newline ending its last one; the blank line after it is skipped above.
    line += read.lines;
    at = end + 1;
  }
  return records;
}

interface IndexRecord {
  record: PackageRecord;
  lines: number;
}

// indexRecord reads one stanza's resolver fields (names compared in lowercase: deb822 names are case-insensitive;
// a repeated field keeps its last value, as Stanza.get does); undefined when a line is not "Field: value".
function indexRecord(raw: string, line: number, mirror: string, suite: string, where: string): IndexRecord | undefined {
  const values: Array<string | undefined> = new Array(FIELD_NAMES.length);
  let last = -1;
  let lines = 0;
  for (let at = 0; at < raw.length; lines++) {
    let end = raw.indexOf('\n', at);
    if (end < 0) end = raw.length;
    const first = raw.charCodeAt(at);
    if (first === 0x20 || first === 0x09) {
      if (at === 0) return undefined;
      if (last >= 0) values[last] = `${values[last]}\n${raw.slice(at, end)}`;
    } else {
      const colon = raw.indexOf(':', at);
      if (colon <= at || colon > end) return undefined;
      last = fieldSlot(raw.slice(at, colon));
      if (last >= 0) values[last] = raw.slice(colon + 1, end).trim();
    }
    at = end + 1;
  }
  let stanza: Stanza | undefined;
  const parsed = (): Stanza => (stanza ??= new Stanza(parseDeb822(raw, where)[0]!.fields, line));
  const record = packageRecord((field) => {
    const slot = fieldSlot(field);
    return slot >= 0 ? values[slot] : undefined;
  }, parsed, line, mirror, suite, where);
  return { record, lines };
}

/** The fields packageRecord reads, in lowercase, and their slots. */
const FIELD_NAMES = ['package', 'version', 'architecture', 'multi-arch', 'essential', 'pre-depends', 'depends', 'recommends', 'provides', 'filename', 'size', 'sha256', 'source', 'installed-size', 'priority'];
const FIELD_INDEX = new Map<string, number>(FIELD_NAMES.map((name, i) => [name, i]));
// Every field name met, as spelt, and its slot (-1: not read): an index spells some forty names, so each is
// lowercased once, not on each of its million lines.
const SLOTS = new Map<string, number>();

function fieldSlot(name: string): number {
  let slot = SLOTS.get(name);
  if (slot === undefined) SLOTS.set(name, (slot = FIELD_INDEX.get(name.toLowerCase()) ?? -1));
  return slot;
}

async function decompress(data: Buffer, path: string, url: string): Promise<Buffer> {
  try {
    if (path.endsWith('.xz')) return await (await import('@napi-rs/lzma')).xz.decompress(data);
    if (path.endsWith('.gz')) return await gunzipAsync(data);
    return data;
  } catch (error) {
    throw new InputError(`${url}: cannot decompress: ${errorMessage(error)}`, { cause: error });
  }
}

/**
 * uncompressedIndex is the index at `path` (in the store) decompressed. Release files list the uncompressed Packages
 * too, with its size and SHA256, whether or not the mirror serves it: the decompressed bytes are checked against that
 * and kept in the store under it, so a later resolution reads them instead of decompressing the index again.
 */
async function uncompressedIndex(fetched: FetchedRelease, path: string, url: string, store: BlobStore): Promise<Buffer> {
  const listed = fetched.release.files.get(path)!;
  const plainPath = path.replace(/\.(xz|gz)$/, '');
  const plain = plainPath === path ? undefined : fetched.release.files.get(plainPath);
  const plainDigest: Digest | undefined = plain && `sha256:${plain.sha256}`;
  if (plainDigest && (await store.has(plainDigest))) return store.read(plainDigest);
  const data = await decompress(await store.read(`sha256:${listed.sha256}`), path, url);
  if (plainDigest) await store.writeBuffer(data, { digest: plainDigest, size: plain!.size }, `${url} decompressed`);
  return data;
}

/**
 * fetchPackagesIndex gets `<component>/binary-<arch>/Packages` in the best compression the Release lists
 * (xz, then gz, then plain, moving on when a mirror lacks a file), verified against the Release. A component
 * the Release carries only as `updates/<component>` is found under either spelling; one it does not carry at
 * all is an error, never an empty index.
 */
export async function fetchPackagesIndex(
  fetched: FetchedRelease, component: string, architecture: string, store: BlobStore, options: HttpOptions = {},
): Promise<PackagesIndex> {
  const base = distsUrl(fetched.source);
  const dirs = componentDirs(fetched.release, component);
  if (dirs.length === 0) {
    throw new InputError(`suite ${fetched.source.suite} has no component "${component}" (${fetched.url} lists ${fetched.release.components.join(' ')})`);
  }
  const candidates = dirs
    .flatMap((dir) => ['Packages.xz', 'Packages.gz', 'Packages'].map((name) => `${dir}/binary-${architecture}/${name}`))
    .filter((path) => fetched.release.files.has(path));
  if (candidates.length === 0) throw new InputError(`${fetched.url} lists no Packages index for ${component}/binary-${architecture}`);
  let lastMissing: unknown;
  for (const path of candidates) {
    const listed = fetched.release.files.get(path)!;
    const url = `${base}/${path}`;
    const digest: Digest = `sha256:${listed.sha256}`;
    if (!(await store.has(digest))) {
      let data: Buffer;
      try {
        data = await httpGet(url, options);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        lastMissing = error;
        continue;
      }
      // Checked before a single byte is decompressed or parsed; nothing is stored on mismatch.
      await store.writeBuffer(data, { digest, size: listed.size }, url);
    }
    const text = (await uncompressedIndex(fetched, path, url, store)).toString('utf8');
    const packages = parsePackages(text, fetched.source.mirror, fetched.source.suite, url);
    return { url, component, architecture, sha256: listed.sha256, packages };
  }
  throw lastMissing;
}
