// Turns parsed pylock.toml data into a PythonLock: each package becomes a root pinned to its version and
// guarded by its marker, so selection installs exactly the packages whose markers hold.
import { dirname, resolve } from 'node:path';
import type { LockedPackage, PythonLock } from '../../types.js';
import type { PylockData } from './schema.js';

/** extractPylock builds a PythonLock from pylock.toml data read from `path`. */
export function extractPylock(path: string, data: PylockData): PythonLock {
  const folder = dirname(resolve(path));
  const packages: LockedPackage[] = data.packages.map(({ marker: _marker, ...pkg }) =>
    pkg.source.kind === 'path' ? { ...pkg, source: { ...pkg.source, path: resolve(folder, pkg.source.path) } } : pkg,
  );
  const indexes = [...new Set(packages.flatMap((pkg) => (pkg.source.kind === 'index' && pkg.source.url ? [pkg.source.url] : [])))];
  return {
    format: 'pylock',
    path,
    ...(data.requiresPython ? { requiresPython: data.requiresPython } : {}),
    extras: data.extras,
    groups: ['main', ...data.groups.filter((group) => group !== 'main')],
    roots: data.packages.map((pkg) => ({
      name: pkg.name,
      extras: [],
      specifier: '',
      version: pkg.version,
      ...(pkg.marker ? { marker: pkg.marker } : {}),
      group: 'main',
    })),
    packages,
    indexes: indexes.map((url) => ({ url })),
    findLinks: [],
  };
}
