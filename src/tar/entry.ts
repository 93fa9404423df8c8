// TarEntry: one file-system object destined for a layer, independent of where its bytes come from.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { InputError, UnsafePathError } from '../errors.js';

/** EntryType lists the objects a layer may hold; `whiteout` marks a deletion of a lower layer's path. */
export type EntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'whiteout' | 'opaque-whiteout';

/** Content is where a regular file's bytes come from. */
export type Content =
  | { kind: 'buffer'; data: Buffer }
  | { kind: 'host-file'; path: string }
  /** file-range: the entry's `size` bytes at `offset` in a host file (a spilled archive, read when written). */
  | { kind: 'file-range'; path: string; offset: number }
  | { kind: 'stream'; open: () => Promise<Readable> };

/** TarEntry describes one path in a layer. Paths are relative, POSIX, normalised (`usr/bin/python3`). */
export interface TarEntry {
  path: string;
  type: EntryType;
  /** mode holds permission bits, setuid/setgid/sticky included (no file-type bits). */
  mode: number;
  uid?: number;
  gid?: number;
  /** size of a regular file's content; required with `host-file` and `stream` content. */
  size?: number;
  content?: Content;
  /** linkTarget: a symlink's target as written, or a hardlink's target path in the layer. */
  linkTarget?: string;
  /** mtime in seconds; when absent the layer's SOURCE_DATE_EPOCH applies. */
  mtime?: number;
}

/**
 * normalizeEntryPath turns `./usr//lib/`, `/usr/lib` or `usr/lib` into `usr/lib` and refuses any path
 * that would leave the image root (`..` segments). `what` names the source in the error.
 */
export function normalizeEntryPath(raw: string, what: string): string {
  if (raw.includes('\0')) throw new UnsafePathError(`${what}: path contains a NUL byte`);
  const segments: string[] = [];
  for (const segment of raw.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') throw new UnsafePathError(`${what}: path "${raw}" escapes the image root`);
    segments.push(segment);
  }
  return segments.join('/');
}

/**
 * symlinkEscapes tells whether a relative symlink at `path` would point outside the root.
 * Absolute targets are resolved inside the container's root by the runtime, so they are safe.
 */
export function symlinkEscapes(path: string, target: string): boolean {
  if (target.startsWith('/')) return false;
  let depth = path.split('/').filter(Boolean).length - 1;
  for (const segment of target.split('/')) {
    if (segment === '..') depth--;
    else if (segment !== '' && segment !== '.') depth++;
    if (depth < 0) return true;
  }
  return false;
}

/** compareEntryPaths orders paths bytewise so parents come before children and output is stable. */
export function compareEntryPaths(a: string, b: string): number {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return Buffer.compare(left, right);
}

/** parentDirectories lists the ancestors of a path, outermost first: `a/b/c` gives `a`, `a/b`. */
export function parentDirectories(path: string): string[] {
  const parts = path.split('/');
  const parents: string[] = [];
  for (let i = 1; i < parts.length; i++) parents.push(parts.slice(0, i).join('/'));
  return parents;
}

/**
 * contentBytes reads a regular file entry's content into memory, synchronously: for the few places that must
 * look at content while merging (comparing duplicates, concatenating certificates). Streams are not read.
 */
export function contentBytes(entry: TarEntry): Buffer | undefined {
  const content = entry.content;
  if (!content) return entry.type === 'file' ? Buffer.alloc(0) : undefined;
  if (content.kind === 'buffer') return content.data;
  if (content.kind === 'host-file') return readFileSync(content.path);
  if (content.kind === 'file-range') {
    const data = Buffer.alloc(entry.size ?? 0);
    const fd = openSync(content.path, 'r');
    try {
      for (let at = 0; at < data.length;) {
        const read = readSync(fd, data, at, data.length - at, content.offset + at);
        if (read === 0) throw new InputError(`${content.path}: ends before the ${data.length} bytes of "${entry.path}"`);
        at += read;
      }
    } finally {
      closeSync(fd);
    }
    return data;
  }
  return undefined;
}
