// readImageFiles: one pass over an image's layers, bottom up, keeping what inspect, why and diff need: each layer's
// members (path, type, size, mode), the final filesystem after whiteouts, and the text of package metadata files.
import { createHash } from 'node:crypto';
import { applyWhiteout, readLimited, walkLayers, type MemberType } from '../layer/walk.js';
import type { Image } from '../oci/image.js';

/** FileType is what a tar member is; hard links share another member's bytes. */
export type FileType = MemberType;

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

async function readContent(content: AsyncIterable<Buffer>, keepText: boolean, hash: boolean, path: string): Promise<{ text?: string; digest?: string }> {
  const hasher = hash ? createHash('sha256') : undefined;
  let text: string | undefined;
  if (keepText) text = (await readLimited(content, path, (chunk) => hasher?.update(chunk))).toString('utf8');
  else for await (const chunk of content) hasher?.update(chunk);
  return {
    ...(text !== undefined ? { text } : {}),
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
  // What the layer being walked adds; it lands once the layer's whiteouts have been applied.
  let members = new Map<string, { type: FileType; size: number }>();
  let added = new Map<string, ImageFile>();
  let addedTexts = new Map<string, string>();
  await walkLayers(image, options.where, {
    async member(member, layer) {
      const { path, type, size } = member;
      members.set(path, { type, size });
      const file: ImageFile = { type, size, mode: member.mode, layer: layer.index };
      if (member.linkname !== undefined && (type === 'symlink' || type === 'hardlink')) file.linkname = member.linkname;
      const keepText = type === 'file' && isMetadataPath(path);
      if (type === 'file' && (keepText || options.digests)) {
        const content = await readContent(member.content, keepText, options.digests === true, path);
        if (content.digest) file.digest = content.digest;
        if (content.text !== undefined) addedTexts.set(path, content.text);
      } else if (type === 'hardlink' && isMetadataPath(path)) {
        const target = addedTexts.get(file.linkname ?? '') ?? texts.get(file.linkname ?? '');
        if (target !== undefined) addedTexts.set(path, target);
      }
      if (type === 'hardlink' && options.digests) {
        const target = added.get(file.linkname ?? '') ?? files.get(file.linkname ?? '');
        if (target?.digest) file.digest = target.digest;
      }
      added.set(path, file);
    },
    layerEnd({ uncompressedSize, whiteouts }) {
      for (const whiteout of whiteouts) {
        applyWhiteout(files, whiteout);
        applyWhiteout(texts, whiteout);
      }
      for (const [path, file] of added) {
        // A file or link where a folder was hides the folder's content.
        if (file.type !== 'directory' && files.get(path)?.type === 'directory') {
          applyWhiteout(files, { path, opaque: false });
          applyWhiteout(texts, { path, opaque: false });
        }
        // A folder entry over an existing folder keeps the folder's content (only its mode may change).
        files.set(path, file);
        if (file.type !== 'directory' && !addedTexts.has(path)) texts.delete(path);
      }
      for (const [path, text] of addedTexts) texts.set(path, text);
      layers.push({ uncompressedSize, members, whiteouts: whiteouts.map((whiteout) => (whiteout.opaque ? `${whiteout.path}/` : whiteout.path)) });
      members = new Map();
      added = new Map();
      addedTexts = new Map();
    },
  });
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
