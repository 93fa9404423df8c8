// Joins poetry.lock with its pyproject.toml: the project's requirements come from pyproject, the pins from
// the lock, and a lock whose content-hash does not match pyproject is refused as stale.
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../../../errors.js';
import { normalizeName } from '../../names.js';
import type { PyProject } from '../../pyproject.js';
import type { PackageIndex, PythonLock } from '../../types.js';
import { poetryContentHashes } from './content-hash.js';
import { withPackageMarker, type PoetryLockData } from './schema.js';

const PYPI = 'https://pypi.org/simple';

const sourceSchema = z.array(
  z.looseObject({
    name: z.string(),
    url: z.string().optional(),
    default: z.boolean().optional(),
    secondary: z.boolean().optional(),
    priority: z.string().optional(),
  }),
);

/** extractPoetryLock builds a PythonLock from a parsed poetry.lock and the project's pyproject.toml. */
export function extractPoetryLock(path: string, lock: PoetryLockData, pyproject: PyProject, checkFresh = true): PythonLock {
  if (checkFresh && !poetryContentHashes(pyproject.data).includes(lock.contentHash)) {
    throw new InputError(`lock is out of date with ${pyproject.path} (content-hash differs); run \`poetry lock\``, { where: { file: path } });
  }
  const folder = dirname(resolve(path));
  const packages = lock.packages.map((pkg) =>
    pkg.source.kind === 'path' ? { ...pkg, source: { ...pkg.source, path: resolve(folder, pkg.source.path) } } : pkg,
  );
  const extras = new Set([...pyproject.extras, ...Object.keys(lock.extras)]);
  return {
    format: 'poetry',
    path,
    ...(pyproject.name ? { project: { name: normalizeName(pyproject.name), ...(pyproject.version ? { version: pyproject.version } : {}) } } : {}),
    ...(pyproject.requiresPython ? { requiresPython: pyproject.requiresPython } : {}),
    extras: [...extras],
    groups: pyproject.groups,
    roots: pyproject.roots.map((root) => withPackageMarker(root, lock.packageMarkers)),
    packages,
    indexes: poetryIndexes(pyproject),
    findLinks: [],
  };
}

/** pyprojectPathFor is where Poetry keeps the pyproject.toml of a lock: beside it. */
export function pyprojectPathFor(lockPath: string): string {
  return join(dirname(lockPath), 'pyproject.toml');
}

// Poetry's [[tool.poetry.source]] order: default/primary sources, then PyPI unless one of those replaces it,
// then secondary/supplemental ones; explicit sources serve only packages that name them (their lock source).
function poetryIndexes(pyproject: PyProject): PackageIndex[] {
  const poetry = (pyproject.data.tool as { poetry?: { source?: unknown } } | undefined)?.poetry;
  const parsed = sourceSchema.safeParse(poetry?.source ?? []);
  if (!parsed.success) throw new InputError('tool.poetry.source: expected a list of sources with name and url', { where: { file: pyproject.path } });
  const withUrl = parsed.data.filter((source) => source.url && source.name.toLowerCase() !== 'pypi');
  const first = withUrl.filter((source) => source.default || source.priority === 'default' || source.priority === 'primary' || (!source.secondary && !source.priority));
  const later = withUrl.filter((source) => source.secondary || source.priority === 'secondary' || source.priority === 'supplemental');
  const replacesPypi = parsed.data.some((source) => source.default || source.priority === 'default' || source.priority === 'primary');
  const indexes: PackageIndex[] = first.map((source) => ({ url: source.url!, name: source.name }));
  if (!replacesPypi) indexes.push({ url: PYPI, name: 'pypi' });
  indexes.push(...later.map((source) => ({ url: source.url!, name: source.name })));
  return indexes;
}
