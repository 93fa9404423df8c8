// poetry.lock (lock-version 1.x and 2.x, and Poetry 1.0's locks, which have no lock-version) as kiln's types: the schema parses TOML data into locked packages
// whose paths are still relative to the lock's folder (extract.ts resolves them).
import { z } from 'zod';
import { normalizeName } from '../../names.js';
import { poetryConstraintToPep440 } from '../../poetry-constraint.js';
import { andMarkers, poetryRequirement } from '../../pyproject.js';
import type { FileHashes, LockedDependency, LockedFile, LockedPackage, PackageSource } from '../../types.js';

const dependencySpec = z.union([
  z.string(),
  z.looseObject({
    version: z.string().optional(),
    markers: z.string().optional(),
    extras: z.array(z.string()).optional(),
    optional: z.boolean().optional(),
    python: z.string().optional(),
    platform: z.string().optional(),
    path: z.string().optional(),
    develop: z.boolean().optional(),
    url: z.string().optional(),
    git: z.string().optional(),
  }),
]);

const file = z.object({ file: z.string(), hash: z.string(), url: z.string().optional() });

const source = z.looseObject({
  type: z.string().optional(),
  url: z.string().optional(),
  reference: z.string().optional(),
  resolved_reference: z.string().optional(),
  subdirectory: z.string().optional(),
});

const lockPackage = z.looseObject({
  name: z.string(),
  version: z.string(),
  optional: z.boolean().default(false),
  /** marker: Poetry 1.0 wrote the condition a package is needed under on the package, not only on its edges. */
  marker: z.string().optional(),
  'python-versions': z.string().optional(),
  files: z.array(file).optional(),
  develop: z.boolean().optional(),
  dependencies: z.record(z.string(), z.union([dependencySpec, z.array(dependencySpec)])).optional(),
  extras: z.record(z.string(), z.array(z.string())).optional(),
  source: source.optional(),
});

/** PoetryLockData is a parsed poetry.lock: packages in kiln's shape plus the metadata extract.ts checks. */
export interface PoetryLockData {
  /** lockVersion is '1.0' for a lock that records none (Poetry 1.0 and older); `legacy` says so. */
  lockVersion: string;
  legacy: boolean;
  contentHash: string;
  pythonVersions?: string;
  /** extras of the root project (the lock's top-level `[extras]`), normalised. */
  extras: Record<string, string[]>;
  packages: LockedPackage[];
  /** packageMarkers are Poetry 1.0's package-level markers by name; extract.ts adds them to the roots. */
  packageMarkers: Record<string, string>;
}

/** poetryLockSchema parses poetry.lock data; path sources stay relative to the lock's folder. */
export const poetryLockSchema = z
  .object({
    package: z.array(lockPackage).default([]),
    extras: z.record(z.string(), z.array(z.string())).optional(),
    metadata: z.looseObject({
      'lock-version': z.string().regex(/^[12]\.\d+$/, 'kiln reads poetry lock-version 1.x and 2.x').optional(),
      'content-hash': z.string(),
      'python-versions': z.string().optional(),
      files: z.record(z.string(), z.array(file)).optional(),
    }),
  })
  .transform((lock): PoetryLockData => {
    // lock-version 1.x keeps files in [metadata.files], keyed by package name.
    const legacyFiles = new Map(Object.entries(lock.metadata.files ?? {}).map(([name, files]) => [normalizeName(name), files]));
    const packageMarkers = markersByName(lock.package);
    return {
      lockVersion: lock.metadata['lock-version'] ?? '1.0',
      legacy: lock.metadata['lock-version'] === undefined,
      contentHash: lock.metadata['content-hash'],
      pythonVersions: lock.metadata['python-versions'],
      extras: Object.fromEntries(
        Object.entries(lock.extras ?? {}).map(([extra, names]) => [normalizeName(extra), names.map(normalizeName)]),
      ),
      packages: lock.package.map((pkg) => {
        const locked = toLockedPackage(pkg, legacyFiles.get(normalizeName(pkg.name)) ?? []);
        return { ...locked, dependencies: locked.dependencies.map((dep) => withPackageMarker(dep, packageMarkers)) };
      }),
      packageMarkers,
    };
  });

// A name locked several times (one version per Python) is needed when any of its entries' markers holds.
function markersByName(packages: ReadonlyArray<z.infer<typeof lockPackage>>): Record<string, string> {
  const byName = new Map<string, Array<string | undefined>>();
  for (const pkg of packages) byName.set(normalizeName(pkg.name), [...(byName.get(normalizeName(pkg.name)) ?? []), pkg.marker]);
  const markers: Record<string, string> = {};
  for (const [name, list] of byName) {
    if (list.some((marker) => marker === undefined)) continue;
    markers[name] = list.length === 1 ? list[0]! : list.map((marker) => `(${marker})`).join(' or ');
  }
  return markers;
}

/** withPackageMarker adds Poetry 1.0's package-level marker of the package an edge leads to (if any) to the edge. */
export function withPackageMarker<T extends { name: string; marker?: string }>(edge: T, markers: Record<string, string>): T {
  const marker = andMarkers(edge.marker, markers[edge.name]);
  return marker ? { ...edge, marker } : edge;
}

function toLockedPackage(pkg: z.infer<typeof lockPackage>, legacyFiles: Array<z.infer<typeof file>>): LockedPackage {
  const name = normalizeName(pkg.name);
  const where = { file: 'poetry.lock' };
  // Optional dependencies are reached only through one of this package's extras.
  const extrasOf = new Map<string, string[]>();
  for (const [extra, requirements] of Object.entries(pkg.extras ?? {})) {
    for (const requirement of requirements) {
      const depName = normalizeName(/^[A-Za-z0-9._-]+/.exec(requirement.trim())?.[0] ?? requirement);
      extrasOf.set(depName, [...(extrasOf.get(depName) ?? []), normalizeName(extra)]);
    }
  }
  const dependencies: LockedDependency[] = [];
  for (const [rawName, value] of Object.entries(pkg.dependencies ?? {})) {
    const depName = normalizeName(rawName);
    for (const spec of Array.isArray(value) ? value : [value]) {
      const dependency: LockedDependency = poetryRequirement(depName, spec, where);
      if (typeof spec !== 'string' && spec.optional) {
        const extras = extrasOf.get(depName) ?? [];
        if (extras.length === 0) continue;
        dependency.marker = andMarkers(dependency.marker, extras.map((extra) => `extra == "${extra}"`).join(' or '));
      }
      dependencies.push(dependency);
    }
  }
  const files = pkg.files ?? legacyFiles;
  const locked: LockedPackage = {
    name,
    version: pkg.version,
    source: toSource(pkg),
    files: files.map(toLockedFile),
    dependencies,
  };
  const requiresPython = pkg['python-versions'] ? poetryConstraintToPep440(pkg['python-versions'], where) : '';
  if (requiresPython) locked.requiresPython = requiresPython;
  return locked;
}

function toSource(pkg: z.infer<typeof lockPackage>): PackageSource {
  const { type, url = '', reference, resolved_reference: commit, subdirectory } = pkg.source ?? {};
  switch (type) {
    case 'directory':
    case 'file':
      return { kind: 'path', path: url, develop: pkg.develop ?? false };
    case 'url':
      return { kind: 'url', url, ...(subdirectory ? { subdirectory } : {}) };
    case 'git':
      return { kind: 'git', url, ...(reference ? { reference } : {}), ...(commit ? { commit } : {}), ...(subdirectory ? { subdirectory } : {}) };
    case undefined:
      return { kind: 'index' };
    default:
      return { kind: 'index', url };
  }
}

function toLockedFile(entry: z.infer<typeof file>): LockedFile {
  const hashes: FileHashes = {};
  const match = /^([a-z0-9]+):([0-9a-fA-F]+)$/.exec(entry.hash);
  if (match) hashes[match[1]!] = match[2]!.toLowerCase();
  return { filename: entry.file, ...(entry.url ? { url: entry.url } : {}), hashes };
}
