// Which source files each backend puts into a wheel, following each backend's documented defaults.
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { InputError } from '../../errors.js';
import type { LocalProject } from './backend.js';

/** WheelSourceFile maps a project file to its path inside the wheel. */
export interface WheelSourceFile {
  source: string;
  target: string;
}

type Table = Record<string, unknown>;
const table = (value: unknown): Table => (value && typeof value === 'object' && !Array.isArray(value) ? value as Table : {});

const SKIP = /(^|\/)(__pycache__|\.git|\.hg|\.svn|\.tox|\.venv|\.mypy_cache|\.pytest_cache)(\/|$)|\.py[co]$/;

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** addTree adds a package directory or module file, placed at `target` inside the wheel. */
async function addTree(project: LocalProject, source: string, target: string, out: WheelSourceFile[]): Promise<void> {
  const full = join(project.dir, source);
  if (!existsSync(full)) throw new InputError(`project ${project.dir}: "${source}" does not exist`);
  if (statSync(full).isFile()) {
    out.push({ source: full, target });
    return;
  }
  for (const file of await walk(full)) {
    const rel = relative(full, file).split(sep).join('/');
    if (!SKIP.test(rel)) out.push({ source: file, target: posix.join(target, rel) });
  }
}

/** importName is the module a distribution name defaults to: lowercase, `-` and `.` become `_`. */
export function importName(name: string): string {
  return name.toLowerCase().replace(/[-.]+/g, '_');
}

// Default discovery shared by flit, hatchling and poetry: <name>/ or <name>.py, at the root or under src/.
async function defaultPackage(project: LocalProject, name: string, out: WheelSourceFile[]): Promise<void> {
  const module = importName(name);
  for (const base of ['', 'src']) {
    if (existsSync(join(project.dir, base, module, '__init__.py'))) return addTree(project, posix.join(base, module), module, out);
    if (existsSync(join(project.dir, base, `${module}.py`))) return addTree(project, posix.join(base, `${module}.py`), `${module}.py`, out);
  }
  throw new InputError(`project ${project.dir}: cannot find package "${module}" (looked in ./ and src/)`);
}

async function poetryFiles(project: LocalProject, name: string, out: WheelSourceFile[]): Promise<void> {
  const poetry = table(table(project.pyproject.tool).poetry);
  const packages = Array.isArray(poetry.packages) ? poetry.packages.map(table) : [];
  if (!packages.length) return defaultPackage(project, name, out);
  for (const pkg of packages) {
    const include = String(pkg.include ?? '');
    const from = typeof pkg.from === 'string' ? pkg.from : '';
    const format = pkg.format === undefined ? ['wheel'] : ([] as string[]).concat(pkg.format as string | string[]);
    if (!format.includes('wheel')) continue;
    if (/[*?[]/.test(include)) {
      const match = picomatch(include);
      for (const file of await walk(join(project.dir, from))) {
        const rel = relative(join(project.dir, from), file).split(sep).join('/');
        if (!SKIP.test(rel) && (match(rel) || rel.split('/').some((_, i, parts) => match(parts.slice(0, i + 1).join('/'))))) out.push({ source: file, target: rel });
      }
    } else await addTree(project, posix.join(from, include), include, out);
  }
}

async function hatchFiles(project: LocalProject, name: string, out: WheelSourceFile[]): Promise<void> {
  const wheel = table(table(table(table(table(project.pyproject.tool).hatch).build).targets).wheel);
  const packages = Array.isArray(wheel.packages) ? wheel.packages.map(String) : [];
  if (!packages.length) return defaultPackage(project, name, out);
  // hatchling's `packages` keeps only each path's last component inside the wheel.
  for (const pkg of packages) await addTree(project, pkg, posix.basename(pkg), out);
}

async function setuptoolsFiles(project: LocalProject, out: WheelSourceFile[]): Promise<void> {
  const config = table(table(project.pyproject.tool).setuptools);
  const packageDir = table(config['package-dir']) as Record<string, string>;
  const root = packageDir[''] ?? '';
  const modules = Array.isArray(config['py-modules']) ? config['py-modules'].map(String) : [];
  for (const module of modules) await addTree(project, posix.join(root, `${module}.py`), `${module}.py`, out);
  let packages: string[];
  if (Array.isArray(config.packages)) packages = config.packages.map(String);
  else {
    const find = table(table(config.packages).find);
    const where = Array.isArray(find.where) ? find.where.map(String) : [existsSync(join(project.dir, 'src')) && !config.packages ? 'src' : root || '.'];
    const include = Array.isArray(find.include) ? picomatch(find.include.map(String)) : () => true;
    const exclude = Array.isArray(find.exclude) ? picomatch(find.exclude.map(String)) : (n: string) => /^(tests?|docs?|examples?|build|dist)(\.|$)/.test(n);
    packages = [];
    for (const base of where) {
      for (const file of await walk(join(project.dir, base))) {
        const rel = relative(join(project.dir, base), file).split(sep).join('/');
        if (!rel.endsWith('/__init__.py') || SKIP.test(rel)) continue;
        const dotted = rel.slice(0, -'/__init__.py'.length).replace(/\//g, '.');
        if (include(dotted) && !exclude(dotted)) packages.push(dotted);
      }
      if (where.length === 1 && base !== '.') packageDir[''] ??= base;
    }
  }
  const base = packageDir[''] ?? (Array.isArray(config.packages) ? '' : root);
  const seen = new Set<string>();
  for (const pkg of packages.sort()) {
    const dir = packageDir[pkg] ?? posix.join(base, pkg.replace(/\./g, '/'));
    // Only the package's own modules: subpackages are listed on their own, as setuptools lists them.
    for (const entry of await readdir(join(project.dir, dir), { withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.py')) continue;
      const target = posix.join(pkg.replace(/\./g, '/'), entry.name);
      if (!seen.has(target)) out.push({ source: join(project.dir, dir, entry.name), target });
      seen.add(target);
    }
  }
  if (!packages.length && !modules.length) throw new InputError(`project ${project.dir}: setuptools found no packages or py-modules to build`);
}

/** wheelSourceFiles lists the files the project's backend would put in its wheel, sorted by target. */
export async function wheelSourceFiles(project: LocalProject, name: string): Promise<WheelSourceFile[]> {
  const out: WheelSourceFile[] = [];
  if (project.backend === 'poetry') await poetryFiles(project, name, out);
  else if (project.backend === 'hatchling') await hatchFiles(project, name, out);
  else if (project.backend === 'setuptools') await setuptoolsFiles(project, out);
  else {
    const module = table(table(table(project.pyproject.tool).flit).module).name;
    await defaultPackage(project, typeof module === 'string' ? module : name, out);
  }
  return out.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}
