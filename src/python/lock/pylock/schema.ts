// PEP 751 pylock.toml as kiln's types: a flat list of packages, each installed when its marker holds
// (markers may test `extras` and `dependency_groups`), so every package is also a root.
import { z } from 'zod';
import { normalizeName } from '../../names.js';
import type { LockedFile, LockedPackage, PackageSource } from '../../types.js';

const hashes = z.record(z.string(), z.string());
const file = z.looseObject({ name: z.string().optional(), url: z.string().optional(), path: z.string().optional(), size: z.number().optional(), hashes });
const pylockPackage = z.looseObject({
  name: z.string(),
  version: z.string().optional(),
  marker: z.string().optional(),
  'requires-python': z.string().optional(),
  index: z.string().optional(),
  vcs: z.looseObject({ type: z.string(), url: z.string().optional(), path: z.string().optional(), 'requested-revision': z.string().optional(), 'commit-id': z.string(), subdirectory: z.string().optional() }).optional(),
  directory: z.looseObject({ path: z.string(), editable: z.boolean().optional(), subdirectory: z.string().optional() }).optional(),
  archive: z.looseObject({ url: z.string().optional(), path: z.string().optional(), hashes, subdirectory: z.string().optional() }).optional(),
  sdist: file.optional(),
  wheels: z.array(file).optional(),
});

/** PylockData is a parsed pylock.toml; `marker` stays per package, paths relative to the lock's folder. */
export interface PylockData {
  requiresPython?: string;
  extras: string[];
  groups: string[];
  packages: Array<LockedPackage & { marker?: string }>;
}

/** pylockSchema parses pylock.toml data (lock-version 1.x). */
export const pylockSchema = z
  .looseObject({
    'lock-version': z.string().regex(/^1\.\d+$/, 'kiln reads pylock lock-version 1.x'),
    'requires-python': z.string().optional(),
    extras: z.array(z.string()).default([]),
    'dependency-groups': z.array(z.string()).default([]),
    packages: z.array(pylockPackage).default([]),
  })
  .transform((lock): PylockData => ({
    requiresPython: lock['requires-python'],
    extras: lock.extras.map(normalizeName),
    groups: lock['dependency-groups'].map(normalizeName),
    packages: lock.packages.map((pkg) => ({
      name: normalizeName(pkg.name),
      version: pkg.version ?? '',
      source: toSource(pkg),
      files: [...(pkg.wheels ?? []), ...(pkg.sdist ? [pkg.sdist] : []), ...(pkg.archive ? [pkg.archive] : [])].map(toFile),
      dependencies: [],
      ...(pkg['requires-python'] ? { requiresPython: pkg['requires-python'] } : {}),
      ...(pkg.marker ? { marker: pkg.marker } : {}),
    })),
  }));

function toSource(pkg: z.infer<typeof pylockPackage>): PackageSource {
  if (pkg.directory) return { kind: 'path', path: pkg.directory.path, develop: pkg.directory.editable ?? false };
  if (pkg.vcs) return { kind: 'git', url: pkg.vcs.url ?? pkg.vcs.path ?? '', commit: pkg.vcs['commit-id'], ...(pkg.vcs['requested-revision'] ? { reference: pkg.vcs['requested-revision'] } : {}), ...(pkg.vcs.subdirectory ? { subdirectory: pkg.vcs.subdirectory } : {}) };
  if (pkg.archive?.url) return { kind: 'url', url: pkg.archive.url, ...(pkg.archive.subdirectory ? { subdirectory: pkg.archive.subdirectory } : {}) };
  if (pkg.archive?.path) return { kind: 'path', path: pkg.archive.path, develop: false };
  return { kind: 'index', ...(pkg.index ? { url: pkg.index } : {}) };
}

function toFile(entry: z.infer<typeof file>): LockedFile {
  const location = entry.url ?? entry.path ?? '';
  const filename = entry.name ?? decodeURIComponent(location.split(/[/\\]/).pop() ?? '');
  const lower = Object.fromEntries(Object.entries(entry.hashes).map(([alg, hex]) => [alg.toLowerCase(), hex.toLowerCase()]));
  return { filename, ...(entry.url ? { url: entry.url } : {}), hashes: lower, ...(entry.size !== undefined ? { size: entry.size } : {}) };
}
