// readImageFiles: one pass over an image's layers, bottom up, keeping what inspect, why and diff need: each layer's
// members (path, type, size, mode), the final filesystem after whiteouts, and the text of package metadata files.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { extract } from 'tar-stream';
import { errorMessage, InputError, IntegrityError, KilnError } from '../errors.js';
import type { Image } from '../oci/image.js';
import { FILE_LIMIT } from '../sbom/from-layers.js';

/** FileType is what a tar member is; hard links share another member's bytes. */
export type FileType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

/** ImageFile is one member of the final filesystem: where it came from and what it is. */
export interface ImageFile {
  type: FileType;
  /** size is the member's byte count (0 for links and folders). */
  size: number;
  mode: number;
  /** layer is the index (bottom first) of the layer the member comes from. */
  layer: number;
  linkname?: string;
  /** digest is the sha256 of the content (files only, when asked for). */
  digest?: string;
}

/** LayerFiles is what one layer's tar holds. */
export interface LayerFiles {
  /** uncompressedSize is the length of the layer's tar. */
  uncompressedSize: number;
  /** members maps each path the layer adds (whiteouts aside) to its type and size. */
  members: Map<string, { type: FileType; size: number }>;
  /** whiteouts are the paths the layer removes from the layers below (`folder/` for an opaque folder). */
  whiteouts: string[];
}

/** ImageFiles is an image's layers and final filesystem, read once. */
export interface ImageFiles {
  layers: LayerFiles[];
  files: Map<string, ImageFile>;
  /** texts holds the final content of package metadata files (dpkg, dist-info, os-release), by path. */
  texts: Map<string, string>;
}

/** ReadFilesOptions: hash every file's content (diff needs it; inspect does not). */
export interface ReadFilesOptions {
  digests?: boolean;
  /** where names the image in errors. */
  where: string;
}

const DIST_INFO = /(?:^|\/)(?:site|dist)-packages\/[^/]+\.dist-info\/(?:METADATA|RECORD)$/;

/** isMetadataPath tells the files whose text the walk keeps: dpkg's database, dist-info METADATA/RECORD, os-release. */
export function isMetadataPath(path: string): boolean {
  if (path === 'var/lib/dpkg/status' || path === 'etc/os-release' || path === 'usr/lib/os-release') return true;
  if (/^var\/lib\/dpkg\/status\.d\/[^/]+$/.test(path)) return true;
  if (/^var\/lib\/dpkg\/info\/[^/]+\.md5sums$/.test(path)) return true;
  return DIST_INFO.test(path);
}

function entryPath(name: string): string {
  const path = posix.normalize(`/${name}`).slice(1);
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

function typeOf(type: string | null | undefined): FileType {
  switch (type) {
    case 'file': case 'contiguous-file': case undefined: case null: return 'file';
    case 'directory': return 'directory';
    case 'symlink': return 'symlink';
    case 'link': return 'hardlink';
    default: return 'other';
  }
}

// Removes path and everything under it ('' is the root: everything); keepSelf leaves the folder itself (opaque).
function removeUnder<T>(map: Map<string, T>, path: string, keepSelf: boolean): void {
  if (path === '') {
    map.clear();
    return;
  }
  if (!keepSelf) map.delete(path);
  const prefix = `${path}/`;
  for (const key of map.keys()) if (key.startsWith(prefix)) map.delete(key);
}

async function readContent(stream: AsyncIterable<unknown>, keepText: boolean, hash: boolean, path: string): Promise<{ text?: string; digest?: string }> {
  const chunks: Buffer[] = [];
  const hasher = hash ? createHash('sha256') : undefined;
  let size = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    hasher?.update(buffer);
    if (keepText) {
      size += buffer.length;
      if (size > FILE_LIMIT) throw new InputError(`${path} is over ${FILE_LIMIT} bytes; kiln reads package metadata files of at most that size`);
      chunks.push(Buffer.from(buffer));
    }
  }
  return {
    ...(keepText ? { text: Buffer.concat(chunks).toString('utf8') } : {}),
    ...(hasher ? { digest: `sha256:${hasher.digest('hex')}` } : {}),
  };
}

/**
 * readImageFiles walks the layers bottom up. A layer's whiteouts (`.wh.NAME`, `.wh..wh..opq`) remove what the
 * layers below had before its own members land, as the OCI layer spec orders it; a member replacing a folder with
 * a file or link hides what the folder held.
 */
export async function readImageFiles(image: Image, options: ReadFilesOptions): Promise<ImageFiles> {
  const files = new Map<string, ImageFile>();
  const texts = new Map<string, string>();
  const layers: LayerFiles[] = [];
  for (const [index, layer] of (await image.layers()).entries()) {
    const digest = await layer.digest();
    const members = new Map<string, { type: FileType; size: number }>();
    const added = new Map<string, ImageFile>();
    const addedTexts = new Map<string, string>();
    const whiteouts: string[] = [];
    let uncompressedSize = 0;
    const reader = extract();
    try {
      const stream = await layer.uncompressed();
      stream.on('data', (chunk: Buffer) => { uncompressedSize += chunk.length; });
      stream.on('error', (error) => reader.destroy(error));
      stream.pipe(reader);
      for await (const entry of reader) {
        const path = entryPath(entry.header.name);
        const base = posix.basename(path);
        const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
        if (base === '.wh..wh..opq') {
          whiteouts.push(`${dir}/`);
          entry.resume();
          continue;
        }
        if (base.startsWith('.wh.')) {
          whiteouts.push(posix.join(dir, base.slice(4)));
          entry.resume();
          continue;
        }
        if (path === '') {
          entry.resume();
          continue;
        }
        const type = typeOf(entry.header.type);
        const size = type === 'file' ? entry.header.size ?? 0 : 0;
        members.set(path, { type, size });
        const file: ImageFile = { type, size, mode: (entry.header.mode ?? 0) & 0o7777, layer: index };
        if (entry.header.linkname && (type === 'symlink' || type === 'hardlink')) file.linkname = type === 'hardlink' ? entryPath(entry.header.linkname) : entry.header.linkname;
        const keepText = type === 'file' && isMetadataPath(path);
        if (type === 'file' && (keepText || options.digests)) {
          const content = await readContent(entry, keepText, options.digests === true, path);
          if (content.digest) file.digest = content.digest;
          if (content.text !== undefined) addedTexts.set(path, content.text);
        } else {
          if (type === 'hardlink' && isMetadataPath(path)) {
            const target = addedTexts.get(file.linkname ?? '') ?? texts.get(file.linkname ?? '');
            if (target !== undefined) addedTexts.set(path, target);
          }
          entry.resume();
        }
        if (type === 'hardlink' && options.digests) {
          const target = added.get(file.linkname ?? '') ?? files.get(file.linkname ?? '');
          if (target?.digest) file.digest = target.digest;
        }
        added.set(path, file);
      }
    } catch (error) {
      if (error instanceof KilnError) throw new InputError(`${options.where}: layer ${digest}: ${error.oneLine()}`, { cause: error });
      throw new IntegrityError(`${options.where}: layer ${digest}: corrupt blob: ${errorMessage(error)}`, { cause: error });
    }
    for (const whiteout of whiteouts) {
      const opaque = whiteout.endsWith('/');
      const path = opaque ? whiteout.slice(0, -1) : whiteout;
      removeUnder(files, path, opaque);
      removeUnder(texts, path, opaque);
    }
    for (const [path, file] of added) {
      // A file or link where a folder was hides the folder's content.
      if (file.type !== 'directory' && files.get(path)?.type === 'directory') {
        removeUnder(files, path, false);
        removeUnder(texts, path, false);
      }
      // A folder entry over an existing folder keeps the folder's content (only its mode may change).
      files.set(path, file);
      if (file.type !== 'directory' && !addedTexts.has(path)) texts.delete(path);
    }
    for (const [path, text] of addedTexts) texts.set(path, text);
    layers.push({ uncompressedSize, members, whiteouts });
  }
  return { layers, files, texts };
}

/** topFolders sums a layer's file bytes by folder, `depth` levels deep, biggest first (empty files and links aside). */
export function topFolders(members: ReadonlyMap<string, { type: FileType; size: number }>, depth = 2, limit = 5): Array<{ path: string; size: number; files: number }> {
  const folders = new Map<string, { size: number; files: number }>();
  for (const [path, member] of members) {
    if (member.type === 'directory') continue;
    const parts = path.split('/');
    const key = parts.length <= depth ? (parts.length === 1 ? '/' : parts.slice(0, -1).join('/')) : parts.slice(0, depth).join('/');
    const folder = folders.get(key) ?? { size: 0, files: 0 };
    folder.size += member.size;
    folder.files += 1;
    folders.set(key, folder);
  }
  return [...folders.entries()]
    .map(([path, { size, files }]) => ({ path: path === '/' ? '/' : `/${path}`, size, files }))
    .filter((folder) => folder.size > 0)
    .sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1))
    .slice(0, limit);
}
