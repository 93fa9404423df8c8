// Turns a parsed uv.lock into a PythonLock: the workspace root's edges become the roots (its optional
// dependencies as extras, its dev-dependencies as groups) and every other package is installable.
import { dirname, resolve } from 'node:path';
import { InputError } from '../../../errors.js';
import type { LockedPackage, PythonLock, RootRequirement } from '../../types.js';
import type { UvLockData } from './schema.js';

/** extractUvLock builds a PythonLock from uv.lock data read from `path`. */
export function extractUvLock(path: string, data: UvLockData): PythonLock {
  const project = data.packages.find((pkg) => pkg.root);
  if (!project) throw new InputError('no project at "." (a package with source editable or virtual ".")', { where: { file: path } });
  const folder = dirname(resolve(path));
  const roots: RootRequirement[] = [
    ...project.dependencies.map((dep) => ({ ...dep, group: 'main' })),
    ...Object.entries(project.groups).flatMap(([group, deps]) => deps.map((dep) => ({ ...dep, group }))),
  ];
  const packages: LockedPackage[] = data.packages
    .filter((pkg) => !pkg.root)
    .map(({ root: _root, groups: _groups, extras: _extras, ...pkg }) =>
      pkg.source.kind === 'path' ? { ...pkg, source: { ...pkg.source, path: resolve(folder, pkg.source.path) } } : pkg,
    );
  const registries = [...new Set(packages.flatMap((pkg) => (pkg.source.kind === 'index' && pkg.source.url ? [pkg.source.url] : [])))];
  return {
    format: 'uv',
    path,
    project: { name: project.name, ...(project.version ? { version: project.version } : {}) },
    ...(data.requiresPython ? { requiresPython: data.requiresPython } : {}),
    extras: project.extras,
    groups: ['main', ...Object.keys(project.groups)],
    roots,
    packages,
    indexes: registries.map((url) => ({ url })),
    findLinks: [],
  };
}
