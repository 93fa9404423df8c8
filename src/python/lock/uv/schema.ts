// uv.lock (version 1) as kiln's types: packages with their edges, optional dependencies as
// `extra == "..."` edges, and the editable or virtual project(s) at the workspace root kept apart.
import { z } from 'zod';
import { andMarkers } from '../../pyproject.js';
import { normalizeName } from '../../names.js';
import type { LockedDependency, LockedFile, LockedPackage, PackageSource } from '../../types.js';

const dependency = z.looseObject({
  name: z.string(),
  version: z.string().optional(),
  extra: z.array(z.string()).optional(),
  marker: z.string().optional(),
});
const artifact = z.looseObject({
  url: z.string().optional(),
  path: z.string().optional(),
  filename: z.string().optional(),
  hash: z.string().optional(),
  size: z.number().optional(),
});
const sourceSchema = z.looseObject({
  registry: z.string().optional(),
  editable: z.string().optional(),
  virtual: z.string().optional(),
  directory: z.string().optional(),
  path: z.string().optional(),
  url: z.string().optional(),
  git: z.string().optional(),
});
const uvPackage = z.looseObject({
  name: z.string(),
  version: z.string().default(''),
  source: sourceSchema,
  dependencies: z.array(dependency).default([]),
  'optional-dependencies': z.record(z.string(), z.array(dependency)).default({}),
  'dev-dependencies': z.record(z.string(), z.array(dependency)).default({}),
  'requires-python': z.string().optional(),
  sdist: artifact.optional(),
  wheels: z.array(artifact).default([]),
});

/** UvPackage is a locked package plus what a project root needs: its optional and dev dependency edges. */
export interface UvPackage extends LockedPackage {
  /** root is true for the workspace's own editable or virtual projects at `.`. */
  root: boolean;
  groups: Record<string, LockedDependency[]>;
  extras: string[];
}

/** UvLockData is a parsed uv.lock, with paths still relative to its folder. */
export interface UvLockData {
  requiresPython?: string;
  packages: UvPackage[];
}

/** uvLockSchema parses uv.lock data. */
export const uvLockSchema = z
  .looseObject({
    version: z.number().int().min(1).max(1, 'kiln reads uv.lock version 1'),
    'requires-python': z.string().optional(),
    package: z.array(uvPackage).default([]),
  })
  .transform((lock): UvLockData => ({
    requiresPython: lock['requires-python'],
    packages: lock.package.map(toPackage),
  }));

function toPackage(pkg: z.infer<typeof uvPackage>): UvPackage {
  const dependencies = pkg.dependencies.map((dep) => toDependency(dep));
  for (const [extra, deps] of Object.entries(pkg['optional-dependencies'])) {
    dependencies.push(...deps.map((dep) => toDependency(dep, `extra == "${normalizeName(extra)}"`)));
  }
  const groups: Record<string, LockedDependency[]> = {};
  for (const [group, deps] of Object.entries(pkg['dev-dependencies'])) groups[normalizeName(group)] = deps.map((dep) => toDependency(dep));
  const files: LockedFile[] = [...pkg.wheels, ...(pkg.sdist ? [pkg.sdist] : [])].map(toFile);
  return {
    name: normalizeName(pkg.name),
    version: pkg.version,
    source: toSource(pkg.source),
    files,
    dependencies,
    ...(pkg['requires-python'] ? { requiresPython: pkg['requires-python'] } : {}),
    root: pkg.source.editable === '.' || pkg.source.virtual === '.',
    groups,
    extras: Object.keys(pkg['optional-dependencies']).map(normalizeName),
  };
}

function toDependency(dep: z.infer<typeof dependency>, extraMarker?: string): LockedDependency {
  const marker = andMarkers(dep.marker, extraMarker);
  return {
    name: normalizeName(dep.name),
    extras: (dep.extra ?? []).map(normalizeName),
    specifier: '',
    ...(dep.version ? { version: dep.version } : {}),
    ...(marker ? { marker } : {}),
  };
}

function toSource(source: z.infer<typeof sourceSchema>): PackageSource {
  if (source.registry !== undefined) return { kind: 'index', url: source.registry };
  const local = source.editable ?? source.virtual ?? source.directory ?? source.path;
  if (local !== undefined) return { kind: 'path', path: local, develop: source.editable !== undefined };
  if (source.url !== undefined) return { kind: 'url', url: source.url };
  if (source.git !== undefined) {
    // uv writes git sources as `https://host/repo?rev=main#<commit>`.
    const url = new URL(source.git);
    const commit = url.hash.slice(1) || undefined;
    const reference = url.searchParams.get('rev') ?? url.searchParams.get('tag') ?? url.searchParams.get('branch') ?? undefined;
    const subdirectory = url.searchParams.get('subdirectory') ?? undefined;
    url.hash = '';
    url.search = '';
    return { kind: 'git', url: url.toString(), ...(reference ? { reference } : {}), ...(commit ? { commit } : {}), ...(subdirectory ? { subdirectory } : {}) };
  }
  return { kind: 'index' };
}

function toFile(entry: z.infer<typeof artifact>): LockedFile {
  const location = entry.url ?? entry.path ?? '';
  const filename = entry.filename ?? decodeURIComponent(location.split(/[/\\]/).pop()?.split(/[?#]/)[0] ?? '');
  const match = /^([a-z0-9]+):([0-9a-fA-F]+)$/.exec(entry.hash ?? '');
  return {
    filename,
    ...(entry.url ? { url: entry.url } : {}),
    hashes: match ? { [match[1]!]: match[2]!.toLowerCase() } : {},
    ...(entry.size !== undefined ? { size: entry.size } : {}),
  };
}
