// The Debian and Python packages of an image's final filesystem, with what `why` needs besides what an SBOM lists:
// relations (Depends, Pre-Depends, Provides; Requires-Dist, Provides-Extra), installed size and the layer each is in.
import { posix } from 'node:path';
import { parseDeb822 } from '../debian/deb822.js';
import { InputError } from '../errors.js';
import { normalizeName } from '../python/names.js';
import { DEBIAN_DIST_PACKAGES } from '../sbom/from-layers.js';
import { sourceOf } from '../sbom/inventory.js';
import type { ImageFiles } from './image-files.js';

/** DebPackage is one installed Debian package. */
export interface DebPackage {
  name: string;
  version: string;
  architecture: string;
  source: string;
  /** installedSize is dpkg's Installed-Size in bytes (the control field counts KiB). */
  installedSize: number;
  /** layer is the index of the layer holding most of its files (by its md5sums), or of its status entry. */
  layer?: number;
  depends: string;
  preDepends: string;
  provides: string;
}

/** PythonDist is one installed Python distribution (outside Debian's own dist-packages). */
export interface PythonDist {
  name: string;
  version: string;
  /** key is the PEP 503 normalised name. */
  key: string;
  /** location is the site- or dist-packages folder it is installed in. */
  location: string;
  /** size is the bytes of the files its RECORD lists that are in the image. */
  size: number;
  layer: number;
  requires: string[];
  extras: string[];
}

/** ImagePackages lists an image's packages, sorted by name. */
export interface ImagePackages {
  debs: DebPackage[];
  python: PythonDist[];
  /** pythonVersion is the major.minor.micro of the image's Python when it tells (dpkg, then site-packages paths). */
  pythonVersion?: string;
}

function headers(text: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    if (/^[ \t]/.test(line)) {
      if (last) fields.get(last)!.push(`${fields.get(last)!.pop()!}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).toLowerCase();
    fields.set(last, [...(fields.get(last) ?? []), line.slice(colon + 1).trim()]);
  }
  return fields;
}

// The layer holding most bytes of the files a package's md5sums lists.
function layerOfFiles(md5sums: string | undefined, files: ImageFiles): number | undefined {
  if (!md5sums) return undefined;
  const bytes = new Map<number, number>();
  for (const line of md5sums.split('\n')) {
    const match = /^[0-9a-f]{32} [ *]?(.+)$/.exec(line);
    const path = match ? match[1]!.replace(/^\.?\//, '') : undefined;
    // On merged-/usr systems /lib, /bin and /sbin are links into /usr, where the files really are.
    const file = path === undefined ? undefined : files.files.get(path) ?? files.files.get(`usr/${path}`);
    if (file) bytes.set(file.layer, (bytes.get(file.layer) ?? 0) + file.size + 1);
  }
  return [...bytes.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0];
}

function debianPackages(files: ImageFiles): DebPackage[] {
  const debs = new Map<string, DebPackage>();
  for (const [path, text] of [...files.texts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const statusFile = path === 'var/lib/dpkg/status';
    if (!statusFile && !(path.startsWith('var/lib/dpkg/status.d/') && !path.endsWith('.md5sums'))) continue;
    for (const stanza of parseDeb822(text, path)) {
      const status = stanza.get('Status');
      if (status === undefined ? statusFile : status.split(/\s+/).at(-1) !== 'installed') continue;
      const name = stanza.get('Package');
      const version = stanza.get('Version');
      const architecture = stanza.get('Architecture') ?? '';
      if (!name || !version) throw new InputError(`${path}:${stanza.line}: dpkg stanza without ${name ? 'Version' : 'Package'}`);
      if (debs.has(name)) continue;
      const md5sums = files.texts.get(statusFile ? `var/lib/dpkg/info/${name}.md5sums` : `${path}.md5sums`)
        ?? files.texts.get(`var/lib/dpkg/info/${name}:${architecture}.md5sums`);
      const layer = layerOfFiles(md5sums, files) ?? (statusFile ? undefined : files.files.get(path)?.layer);
      debs.set(name, {
        name, version, architecture,
        source: sourceOf(name, stanza.get('Source')).source,
        installedSize: Number(stanza.get('Installed-Size') ?? 0) * 1024 || 0,
        ...(layer === undefined ? {} : { layer }),
        depends: stanza.get('Depends') ?? '',
        preDepends: stanza.get('Pre-Depends') ?? '',
        provides: stanza.get('Provides') ?? '',
      });
    }
  }
  return [...debs.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** recordPaths lists a RECORD's paths: lines are `path,hash,size`, the path relative to the site folder, maybe quoted (CSV). */
export function recordPaths(record: string): string[] {
  return record.split(/\r?\n/).filter(Boolean).map((line) => {
    if (line.startsWith('"')) return line.slice(1, line.indexOf('",')).replace(/""/g, '"');
    return line.slice(0, line.lastIndexOf(',', line.lastIndexOf(',') - 1));
  });
}

function pythonDists(files: ImageFiles): PythonDist[] {
  const dists = new Map<string, PythonDist>();
  for (const [path, text] of files.texts) {
    if (!path.endsWith('.dist-info/METADATA') || path.startsWith(DEBIAN_DIST_PACKAGES)) continue;
    const distInfo = posix.dirname(path);
    const location = posix.dirname(distInfo);
    // Nested dist-info folders are vendored copies, not installed distributions.
    if (!/(?:site|dist)-packages$/.test(location)) continue;
    const record = files.texts.get(`${distInfo}/RECORD`);
    if (record === undefined) continue;
    const fields = headers(text);
    const name = fields.get('name')?.[0];
    const version = fields.get('version')?.[0];
    if (!name || !version) throw new InputError(`${path}: no ${name ? 'Version' : 'Name'} header`);
    let size = 0;
    for (const relative of recordPaths(record)) size += files.files.get(posix.normalize(posix.join(location, relative)))?.size ?? 0;
    const key = normalizeName(name);
    dists.set(`${key}@${location}`, {
      name, version, key, location, size,
      layer: files.files.get(path)?.layer ?? 0,
      requires: fields.get('requires-dist') ?? [],
      extras: (fields.get('provides-extra') ?? []).map(normalizeName),
    });
  }
  return [...dists.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.location < b.location ? -1 : 1));
}

function pythonVersionOf(debs: readonly DebPackage[], python: readonly PythonDist[], files: ImageFiles): string | undefined {
  for (const deb of debs) {
    const match = /^python(3\.\d+)-minimal$/.exec(deb.name);
    const version = match ? /^(?:\d+:)?(\d+\.\d+\.\d+)/.exec(deb.version)?.[1] : undefined;
    if (version?.startsWith(match![1]!)) return version;
  }
  const minor = python.map((dist) => /python(3\.\d+)\//.exec(`${dist.location}/`)?.[1]).find(Boolean)
    ?? [...files.files.keys()].map((path) => /^usr\/(?:local\/)?lib\/python(3\.\d+)$/.exec(path)?.[1]).find(Boolean);
  return minor ? `${minor}.0` : undefined;
}

/** imagePackages lists the Debian and Python packages of files read by readImageFiles. */
export function imagePackages(files: ImageFiles): ImagePackages {
  const debs = debianPackages(files);
  const python = pythonDists(files);
  const pythonVersion = pythonVersionOf(debs, python, files);
  return { debs, python, ...(pythonVersion ? { pythonVersion } : {}) };
}
