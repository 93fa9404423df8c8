// stdlibZip: CPython's pure-Python standard library moved from usr/lib/python3.X/ into usr/lib/python3X.zip.
//
// CPython puts <prefix>/lib/python3X.zip on sys.path ahead of lib/python3.X (the embeddable distribution's trick),
// so modules load from the archive; Debian ships no .pyc and a read-only root writes none, so nothing is lost.
// What stays a file: os.py (the landmark getpath looks for to find the prefix), anything a symlink points at
// (Debian's _sysconfigdata__linux_* and /usr/bin/pdb3.X), non-.py data, lib-dynload, site/dist-packages, and the
// packages that other Debian packages complete or that read their own files by path (distutils, lib2to3, test,
// tkinter, idlelib, ensurepip, venv, turtledemo, pydoc_data).
import { writeZip } from '../python/wheel/zip-write.js';
import { contentBytes, type TarEntry } from '../tar/entry.js';

const STDLIB_PACKAGE = /^libpython(3\.\d+)-(minimal|stdlib)$/;
const STDLIB_FILE = /^usr\/lib\/python(3\.\d+)\/(.+\.py)$/;
const STAYS = new Set(['distutils', 'lib2to3', 'test', 'tkinter', 'idlelib', 'ensurepip', 'venv', 'turtledemo', 'pydoc_data', 'lib-dynload', 'site-packages', 'dist-packages']);

/** isStdlibPackage tells whether a package ships CPython's standard library (libpython3.X-minimal or -stdlib). */
export function isStdlibPackage(name: string): boolean {
  return STDLIB_PACKAGE.test(name);
}

/** PackageFiles is one package's entries, as assembly holds them. */
export interface PackageFiles {
  name: string;
  entries: TarEntry[];
}

/** StdlibZip is the archive entry to add and, per package, the entries that went into it. */
export interface StdlibZip {
  zip: TarEntry;
  moved: Map<string, TarEntry[]>;
}

// Assembly may hold a package's content spilled to disk (file-range); the archive needs the bytes.
function bytesOf(entry: TarEntry): Buffer | undefined {
  return entry.content?.kind === 'stream' ? undefined : contentBytes(entry);
}

/**
 * stdlibZip picks the standard library modules of these packages (one layer's) that can move into the archive,
 * and builds it with fixed timestamps; undefined when none can (no stdlib package here).
 */
export function stdlibZip(packages: readonly PackageFiles[], epoch: number): StdlibZip | undefined {
  const linked = new Set<string>();
  const topsWithLinks = new Set<string>();
  for (const pkg of packages) {
    for (const entry of pkg.entries) {
      if (entry.type !== 'symlink' && entry.type !== 'hardlink') continue;
      const target = entry.type === 'hardlink' || entry.linkTarget!.startsWith('/')
        ? entry.linkTarget!.replace(/^\/+/, '')
        : `${entry.path.replace(/[^/]*$/, '')}${entry.linkTarget}`;
      linked.add(normalize(target));
      const inside = /^usr\/lib\/python3\.\d+\/([^/]+)\/./.exec(entry.path);
      if (inside) topsWithLinks.add(inside[1]!);
    }
  }
  let version: string | undefined;
  const moved = new Map<string, TarEntry[]>();
  const members: Array<{ name: string; data: Buffer }> = [];
  for (const pkg of packages) {
    const match = STDLIB_PACKAGE.exec(pkg.name);
    if (!match) continue;
    for (const entry of pkg.entries) {
      const file = STDLIB_FILE.exec(entry.path);
      const data = bytesOf(entry);
      if (!file || file[1] !== match[1] || entry.type !== 'file' || !data || (version && version !== file[1])) continue;
      const rel = file[2]!;
      const top = rel.split('/')[0]!;
      if (rel === 'os.py' || STAYS.has(top) || topsWithLinks.has(top) || linked.has(entry.path)) continue;
      version = file[1];
      members.push({ name: rel, data });
      const list = moved.get(pkg.name) ?? [];
      list.push(entry);
      moved.set(pkg.name, list);
    }
  }
  if (!version || !members.length) return undefined;
  members.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const data = writeZip(members, epoch);
  const zip: TarEntry = { path: `usr/lib/python${version.replace('.', '')}.zip`, type: 'file', mode: 0o644, size: data.length, content: { kind: 'buffer', data } };
  return { zip, moved };
}

function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '..') out.pop();
    else if (part && part !== '.') out.push(part);
  }
  return out.join('/');
}
