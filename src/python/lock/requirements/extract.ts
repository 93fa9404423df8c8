// Follows a requirements file and its includes into a PythonLock: every requirement must be pinned
// (`==`, directly or through a -c constraints file), a path, or a URL; `--hash` options become files.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, type SourceLocation } from '../../../errors.js';
import { normalizeName } from '../../names.js';
import { readPyProject } from '../../pyproject.js';
import { parseRequirement } from '../../requirement.js';
import type { LockedFile, LockedPackage, PackageSource, PythonLock, Requirement, RootRequirement } from '../../types.js';
import { parseRequirementsText, type RequirementsEntry } from './schema.js';

const PYPI = 'https://pypi.org/simple';

type RequirementLine = Extract<RequirementsEntry, { kind: 'requirement' }> & { constraint: boolean; folder: string };

interface Collected {
  lines: RequirementLine[];
  indexUrl?: string | null;
  extraIndexUrls: string[];
  findLinks: string[];
}

/** extractRequirementsLock reads a requirements file with its includes as a lock. */
export async function extractRequirementsLock(path: string): Promise<PythonLock> {
  const collected: Collected = { lines: [], extraIndexUrls: [], findLinks: [] };
  await collect(resolve(path), false, [], collected);
  const pins = new Map<string, RequirementLine>();
  const parsed = await Promise.all(collected.lines.map(async (line) => ({ line, requirement: await requirementOf(line) })));
  for (const { line, requirement } of parsed) if (line.constraint) pins.set(requirement.name, line);

  const packages = new Map<string, LockedPackage>();
  const roots: RootRequirement[] = [];
  for (const { line, requirement } of parsed) {
    if (line.constraint) continue;
    const pkg = await toPackage(line, requirement, pins);
    const key = `${pkg.name}==${pkg.version}`;
    const known = packages.get(key);
    if (known) known.files.push(...pkg.files.filter((file) => !known.files.some((other) => sameFile(other, file))));
    else packages.set(key, pkg);
    roots.push({ ...requirement, version: pkg.version, group: 'main' });
  }
  const indexes = collected.indexUrl === null ? [] : [{ url: collected.indexUrl ?? PYPI }];
  return {
    format: 'requirements',
    path,
    extras: [],
    groups: ['main'],
    roots,
    packages: [...packages.values()],
    indexes: [...indexes, ...collected.extraIndexUrls.map((url) => ({ url }))],
    findLinks: collected.findLinks,
  };
}

async function collect(file: string, constraint: boolean, stack: string[], into: Collected, includedFrom?: SourceLocation): Promise<void> {
  if (stack.includes(file)) throw new InputError(`${file} includes itself`, { where: includedFrom });
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${file}: ${(error as Error).message}`, { where: includedFrom, cause: error });
  }
  const folder = dirname(file);
  for (const entry of parseRequirementsText(text, file)) {
    switch (entry.kind) {
      case 'requirement': into.lines.push({ ...entry, constraint, folder }); break;
      case 'include': await collect(resolve(folder, entry.file), constraint || entry.constraint, [...stack, file], into, entry.where); break;
      case 'index-url': into.indexUrl ??= entry.value; break;
      case 'no-index': into.indexUrl = null; break;
      case 'extra-index-url': into.extraIndexUrls.push(entry.value); break;
      case 'find-links': into.findLinks.push(/^[a-z]+:\/\//i.test(entry.value) ? entry.value : resolve(folder, entry.value)); break;
    }
  }
}

// A bare path (`./shared`, `-e ../kserve`) names its project only in the project's own pyproject.toml.
async function requirementOf(line: RequirementLine): Promise<Requirement> {
  if (!/^(\.|\/|file:)/.test(line.text)) return parseRequirement(line.text, line.where);
  const [location = '', extras] = line.text.split(/\[(.*)\]$/);
  const path = location.startsWith('file:') ? fileURLToPath(location) : resolve(line.folder, location);
  const pyproject = await readPyProject(join(path, 'pyproject.toml')).catch((error: unknown) => {
    throw new InputError(`cannot name the project at ${location}: ${(error as Error).message}`, { where: line.where, cause: error });
  });
  if (!pyproject.name) throw new InputError(`the project at ${location} has no name in pyproject.toml`, { where: line.where });
  return { name: normalizeName(pyproject.name), extras: (extras ?? '').split(',').filter(Boolean).map(normalizeName), specifier: '', url: path };
}

async function toPackage(line: RequirementLine, requirement: Requirement, pins: Map<string, RequirementLine>): Promise<LockedPackage> {
  const source = sourceOf(line, requirement);
  const pin = pins.get(requirement.name);
  const hashes = line.hashes.length > 0 ? line.hashes : pin?.hashes ?? [];
  const files = hashes.map((hash) => toFile(hash, line.where));
  let version: string | undefined;
  if (source.kind === 'path') version = (await readPyProject(join(source.path, 'pyproject.toml')).catch(() => undefined))?.version;
  else if (source.kind === 'url') version = versionFromFilename(requirement.name, source.url);
  else version = exactPin(requirement.specifier) ?? (pin ? exactPin(parseRequirement(pin.text, pin.where).specifier) : undefined);
  if (version === undefined && source.kind === 'index') {
    throw new InputError(`${requirement.name} is not pinned to one version (==), so the file is not a lock`, { where: line.where });
  }
  return { name: requirement.name, version: version ?? '', source, files, dependencies: [] };
}

function sourceOf(line: RequirementLine, requirement: Requirement): PackageSource {
  const url = requirement.url;
  if (!url) return { kind: 'index' };
  if (url.startsWith('file:')) return { kind: 'path', path: fileURLToPath(url), develop: line.editable };
  if (!/^[a-z+]+:\/\//i.test(url)) return { kind: 'path', path: isAbsolute(url) ? url : resolve(line.folder, url), develop: line.editable };
  if (url.startsWith('git+')) {
    // pip's form: git+URL[@REF][#subdirectory=DIR]; a REF of 40 hex digits is the commit itself.
    const [location = '', fragment = ''] = url.slice(4).split('#');
    const [repo, reference] = location.split(/@(?=[^/@]*$)/);
    const subdirectory = new URLSearchParams(fragment).get('subdirectory') ?? undefined;
    const commit = reference && /^[0-9a-f]{40}$/.test(reference) ? reference : undefined;
    return { kind: 'git', url: repo!, ...(reference ? { reference } : {}), ...(commit ? { commit } : {}), ...(subdirectory ? { subdirectory } : {}) };
  }
  return { kind: 'url', url };
}

function exactPin(specifier: string): string | undefined {
  const match = /^===?([^,*]+)$/.exec(specifier);
  return match?.[1];
}

function versionFromFilename(name: string, url: string): string | undefined {
  const filename = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  const match = /^([^-]+)-([^-]+?)(?:-.*\.whl|\.tar\.gz|\.zip)$/.exec(filename);
  return match && normalizeName(match[1]!) === name ? match[2] : undefined;
}

function toFile(hash: string, where: SourceLocation): LockedFile {
  const match = /^([a-z0-9]+):([0-9a-fA-F]+)$/.exec(hash);
  if (!match) throw new InputError(`invalid --hash ${hash}: expected algorithm:hex`, { where });
  return { filename: '', hashes: { [match[1]!]: match[2]!.toLowerCase() } };
}

function sameFile(a: LockedFile, b: LockedFile): boolean {
  return a.filename === b.filename && JSON.stringify(a.hashes) === JSON.stringify(b.hashes);
}
