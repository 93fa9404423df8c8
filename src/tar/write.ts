// Deterministic tar writer: sorted entries, clamped mtimes, numeric owners, PAX for long names.
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack, type Header } from 'tar-stream';

type PackHeader = Partial<Header> & Pick<Header, 'name'>;
import { compareEntryPaths, parentDirectories, type TarEntry } from './entry.js';
import { InputError, KilnError } from '../errors.js';

export { DEFAULT_SOURCE_DATE_EPOCH, sourceDateEpoch } from './epoch.js';

/** TarOptions tune the writer. */
export interface TarOptions {
  /** epoch: mtimes are clamped to it and absent mtimes set to it. */
  epoch: number;
  /** addParents creates missing parent directories (0755, root) so extraction never invents modes. */
  addParents?: boolean;
}

/** prepareEntries sorts entries, adds missing parents, and refuses duplicate paths. */
export function prepareEntries(entries: readonly TarEntry[], options: TarOptions): TarEntry[] {
  const byPath = new Map<string, TarEntry>();
  for (const entry of entries) {
    const existing = byPath.get(entry.path);
    if (existing && !(existing.type === 'directory' && entry.type === 'directory')) {
      throw new InputError(`two entries for the same path "${entry.path}" in one layer`);
    }
    byPath.set(entry.path, entry);
  }
  if (options.addParents) {
    for (const entry of entries) {
      for (const parent of parentDirectories(entry.path)) {
        if (!byPath.has(parent)) byPath.set(parent, { path: parent, type: 'directory', mode: 0o755 });
      }
    }
  }
  return [...byPath.values()].sort((a, b) => compareEntryPaths(tarName(a), tarName(b)));
}

/** tarName is the name an entry has inside the archive (whiteouts get their `.wh.` names). */
function tarName(entry: TarEntry): string {
  if (entry.type === 'whiteout') {
    const slash = entry.path.lastIndexOf('/');
    return slash < 0 ? `.wh.${entry.path}` : `${entry.path.slice(0, slash)}/.wh.${entry.path.slice(slash + 1)}`;
  }
  if (entry.type === 'opaque-whiteout') return entry.path ? `${entry.path}/.wh..wh..opq` : '.wh..wh..opq';
  return entry.path;
}

function header(entry: TarEntry, epoch: number): PackHeader {
  const mtime = new Date(Math.min(entry.mtime ?? epoch, epoch) * 1000);
  const base = { mode: entry.mode & 0o7777, uid: entry.uid ?? 0, gid: entry.gid ?? 0, uname: '', gname: '', mtime };
  switch (entry.type) {
    case 'directory':
      return { ...base, name: `${entry.path}/`, type: 'directory', size: 0 };
    case 'symlink':
      return { ...base, name: entry.path, type: 'symlink', linkname: entry.linkTarget ?? '', size: 0 };
    case 'hardlink':
      return { ...base, name: entry.path, type: 'link', linkname: entry.linkTarget ?? '', size: 0 };
    case 'whiteout':
    case 'opaque-whiteout':
      return { ...base, name: tarName(entry), type: 'file', mode: 0, size: 0 };
    case 'file':
      return { ...base, name: entry.path, type: 'file', size: contentSize(entry) };
  }
}

function contentSize(entry: TarEntry): number {
  if (entry.content?.kind === 'buffer') return entry.content.data.length;
  if (entry.size === undefined) {
    if (!entry.content) return 0;
    throw new InputError(`tar entry "${entry.path}" has no size`);
  }
  return entry.size;
}

/**
 * tarSizeEstimate is about how many bytes writeTar gives for the entries: a header each, content padded to 512
 * and the end marker. Parents it adds and PAX headers for long names come on top, so it is a floor, for progress.
 */
export function tarSizeEstimate(entries: readonly TarEntry[]): number {
  let bytes = 1024;
  for (const entry of entries) {
    const size = entry.type === 'file' ? (entry.content?.kind === 'buffer' ? entry.content.data.length : entry.size ?? 0) : 0;
    bytes += 512 + Math.ceil(size / 512) * 512;
  }
  return bytes;
}

// Ranges up to this size are read whole into memory; bigger ones are streamed.
const RANGE_READ_LIMIT = 1 << 20;

/** RangeFiles keeps one handle per host file that ranges are read from, for the length of one tar. */
class RangeFiles {
  private readonly handles = new Map<string, Promise<FileHandle>>();

  async read(path: string, offset: number, size: number): Promise<Buffer> {
    let handle = this.handles.get(path);
    if (!handle) this.handles.set(path, (handle = open(path, 'r')));
    const data = Buffer.allocUnsafe(size);
    for (let at = 0; at < size;) {
      const { bytesRead } = await (await handle).read(data, at, size - at, offset + at);
      if (bytesRead === 0) throw new InputError(`${path}: ends before byte ${offset + size}`);
      at += bytesRead;
    }
    return data;
  }

  async close(): Promise<void> {
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(handles.map(async (handle) => (await handle.catch(() => undefined))?.close()));
  }
}

async function openContent(entry: TarEntry, ranges: RangeFiles): Promise<Readable | Buffer> {
  const content = entry.content;
  if (!content) return Buffer.alloc(0);
  if (content.kind === 'buffer') return content.data;
  if (content.kind === 'host-file') return createReadStream(content.path);
  if (content.kind === 'file-range') {
    const size = contentSize(entry);
    if (size === 0) return Buffer.alloc(0);
    if (size <= RANGE_READ_LIMIT) return ranges.read(content.path, content.offset, size);
    return createReadStream(content.path, { start: content.offset, end: content.offset + size - 1 });
  }
  return content.open();
}

/** writeTar streams a deterministic tar of the entries: same entries in, same bytes out. */
export function writeTar(entries: readonly TarEntry[], options: TarOptions): Readable {
  const prepared = prepareEntries(entries, options);
  const pack = tarPack();
  const ranges = new RangeFiles();
  (async () => {
    for (const entry of prepared) {
      const head = header(entry, options.epoch);
      const body = entry.type === 'file' ? await openContent(entry, ranges) : Buffer.alloc(0);
      if (Buffer.isBuffer(body)) {
        await new Promise<void>((resolve, reject) => pack.entry(head, body, (error) => (error ? reject(error) : resolve())));
      } else {
        const sink = pack.entry(head);
        await pipeline(body, sink).catch((error: unknown) => {
          // A KilnError already names its source (e.g. the wheel and member); other errors get the path.
          if (error instanceof KilnError) throw error;
          throw new InputError(`reading "${entry.path}" for a layer: ${(error as Error).message}`, { cause: error });
        });
      }
    }
    await ranges.close();
    pack.finalize();
  })().catch(async (error: unknown) => {
    await ranges.close();
    pack.destroy(error as Error);
  });
  return pack as unknown as Readable;
}
