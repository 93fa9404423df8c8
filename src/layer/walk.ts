// walkLayers: one streamed pass over an image's layer tars, bottom up, for readers that keep only a little of what
// they see (inspect's file lists, the SBOM's package databases). Whiteouts are told apart from members, paths are
// normalised, and a failure names the image and the layer.
import { posix } from 'node:path';
import { extract } from 'tar-stream';
import { errorMessage, InputError, IntegrityError, KilnError } from '../errors.js';
import type { Image } from '../oci/image.js';

/** MemberType is what a tar member is; hard links share another member's bytes. */
export type MemberType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

/** LayerMember is one member of a layer tar (whiteouts and the root folder aside). */
export interface LayerMember {
  /** path is relative, POSIX, normalised, without a trailing slash (`usr/bin/python3`). */
  path: string;
  type: MemberType;
  /** size is the content's byte count (0 for anything but a file). */
  size: number;
  mode: number;
  /** linkname is a symlink's target as written, or a hard link's target path, normalised. */
  linkname?: string;
  /** content streams a file's bytes; what the visitor leaves unread is skipped. */
  content: AsyncIterable<Buffer>;
}

/** Whiteout is a deletion a layer makes in the layers below: one path, or (opaque) everything under a folder. */
export interface Whiteout {
  /** path is the path removed, or the folder emptied ('' is the root). */
  path: string;
  opaque: boolean;
}

/** WalkedLayer is what the walk saw of a whole layer. */
export interface WalkedLayer {
  index: number;
  digest: string;
  /** uncompressedSize is the length of the layer's tar. */
  uncompressedSize: number;
  /** whiteouts come in tar order; the OCI layer spec applies them before the layer's own members land. */
  whiteouts: Whiteout[];
}

/** LayerVisitor is told when a layer starts, receives each of its members in tar order, then its whiteouts once its tar has ended. */
export interface LayerVisitor {
  layerStart?(layer: { index: number; digest: string }): void | Promise<void>;
  member(member: LayerMember, layer: { index: number; digest: string }): void | Promise<void>;
  layerEnd(layer: WalkedLayer): void | Promise<void>;
}

/** FILE_LIMIT bounds one metadata file read into memory (a full Debian dpkg status is a few MB). */
export const FILE_LIMIT = 64 * 1024 * 1024;

/** memberPath normalises a tar member name: no leading `./` or `/`, no trailing slash, `..` resolved. */
export function memberPath(name: string): string {
  const path = posix.normalize(`/${name}`).slice(1);
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

function memberType(type: string | null | undefined): MemberType {
  switch (type) {
    case 'file': case 'contiguous-file': case undefined: case null: return 'file';
    case 'directory': return 'directory';
    case 'symlink': return 'symlink';
    case 'link': return 'hardlink';
    default: return 'other';
  }
}

/** readLimited reads a member's content into memory, refusing one over FILE_LIMIT (named by `path`). */
export async function readLimited(content: AsyncIterable<Buffer>, path: string, onChunk?: (chunk: Buffer) => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of content) {
    onChunk?.(chunk);
    size += chunk.length;
    if (size > FILE_LIMIT) throw new InputError(`${path} is over ${FILE_LIMIT} bytes; kiln reads package metadata files of at most that size`);
    // Copied: a chunk may be a view into the tar stream's own, larger buffer.
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/**
 * walkLayers streams each layer's tar, bottom up, to `visitor`. A KilnError from `member` becomes an InputError naming
 * `where` and the layer; anything else (a short or corrupt blob, a bad tar) is an IntegrityError.
 */
export async function walkLayers(image: Image, where: string, visitor: LayerVisitor): Promise<void> {
  for (const [index, layer] of (await image.layers()).entries()) {
    const digest = await layer.digest();
    const whiteouts: Whiteout[] = [];
    let uncompressedSize = 0;
    await visitor.layerStart?.({ index, digest });
    const reader = extract();
    try {
      const stream = await layer.uncompressed();
      stream.on('data', (chunk: Buffer) => { uncompressedSize += chunk.length; });
      stream.on('error', (error) => reader.destroy(error));
      stream.pipe(reader);
      for await (const entry of reader) {
        const path = memberPath(entry.header.name);
        const base = posix.basename(path);
        const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
        if (base === '.wh..wh..opq') whiteouts.push({ path: dir, opaque: true });
        else if (base.startsWith('.wh.')) whiteouts.push({ path: posix.join(dir, base.slice(4)), opaque: false });
        else if (path !== '') {
          const type = memberType(entry.header.type);
          const member: LayerMember = { path, type, size: type === 'file' ? entry.header.size ?? 0 : 0, mode: (entry.header.mode ?? 0) & 0o7777, content: entry as AsyncIterable<Buffer> };
          if (entry.header.linkname && type === 'symlink') member.linkname = entry.header.linkname;
          if (entry.header.linkname && type === 'hardlink') member.linkname = memberPath(entry.header.linkname);
          await visitor.member(member, { index, digest });
        }
        // tar-stream hands out the next member only once this one's bytes are consumed.
        entry.resume();
      }
    } catch (error) {
      if (error instanceof KilnError) throw new InputError(`${where}: layer ${digest}: ${error.oneLine()}`, { cause: error });
      throw new IntegrityError(`${where}: layer ${digest}: corrupt blob: ${errorMessage(error)}`, { cause: error });
    }
    await visitor.layerEnd({ index, digest, uncompressedSize, whiteouts });
  }
}

/** applyWhiteout deletes from a map keyed by path what `whiteout` removes (an opaque one keeps the folder itself). */
export function applyWhiteout<T>(map: Map<string, T>, whiteout: Whiteout): void {
  if (whiteout.path === '') {
    map.clear();
    return;
  }
  if (!whiteout.opaque) map.delete(whiteout.path);
  const prefix = `${whiteout.path}/`;
  for (const key of [...map.keys()]) if (key.startsWith(prefix)) map.delete(key);
}
