// fileOwners: which package put each file of an image there, from the packages' own file lists (dpkg's md5sums,
// dist-info RECORD), so the report's treemap can group a layer's bytes by package.
import { posix } from 'node:path';
import type { ImageFiles } from '../inspect/image-files.js';
import { recordPaths, type ImagePackages } from '../inspect/packages.js';
import { normalizeName } from '../python/names.js';

/** packageKey names a package across both ecosystems: `debian:NAME` or `python:KEY@LOCATION`. */
export function packageKey(ecosystem: 'debian' | 'python', name: string, location?: string): string {
  return ecosystem === 'debian' ? `debian:${name}` : `python:${name}@${location ?? ''}`;
}

function md5sumsOf(files: ImageFiles, name: string, architecture: string): string | undefined {
  return files.texts.get(`var/lib/dpkg/info/${name}.md5sums`)
    ?? files.texts.get(`var/lib/dpkg/info/${name}:${architecture}.md5sums`)
    ?? files.texts.get(`var/lib/dpkg/status.d/${name}.md5sums`);
}

/**
 * fileOwners maps each path (as the image's files name it) to the key of the package whose file list has it. A path
 * two packages claim (a Python file a deb also ships) goes to the Python distribution, the later install.
 */
export function fileOwners(files: ImageFiles, packages: ImagePackages): Map<string, string> {
  const owners = new Map<string, string>();
  for (const deb of packages.debs) {
    const md5sums = md5sumsOf(files, deb.name, deb.architecture);
    if (!md5sums) continue;
    const key = packageKey('debian', deb.name);
    for (const line of md5sums.split('\n')) {
      const match = /^[0-9a-f]{32} [ *]?(.+)$/.exec(line);
      if (!match) continue;
      const path = match[1]!.replace(/^\.?\//, '');
      // On merged-/usr systems /lib, /bin and /sbin are links into /usr, where the files really are.
      owners.set(files.files.has(path) || !files.files.has(`usr/${path}`) ? path : `usr/${path}`, key);
    }
  }
  const dists = new Map(packages.python.map((dist) => [`${dist.key}@${dist.location}`, dist] as const));
  for (const [path, text] of files.texts) {
    if (!path.endsWith('.dist-info/RECORD')) continue;
    const location = posix.dirname(posix.dirname(path));
    const metadata = files.texts.get(`${posix.dirname(path)}/METADATA`);
    const name = metadata === undefined ? undefined : /^Name:[ \t]*(.+?)\s*$/m.exec(metadata)?.[1];
    const dist = name === undefined ? undefined : dists.get(`${normalizeName(name)}@${location}`);
    if (!dist) continue;
    const key = packageKey('python', dist.key, dist.location);
    for (const relative of recordPaths(text)) owners.set(posix.normalize(posix.join(location, relative)), key);
  }
  return owners;
}
