// pyproject.toml: the project's name, version and requirements, from PEP 621 `[project]` (plus PEP 735
// `[dependency-groups]`) or Poetry's `[tool.poetry]`. Optional dependencies become `extra == "..."` markers.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InputError, type SourceLocation } from '../errors.js';
import { normalizeName } from './names.js';
import { poetryConstraintToPep440 } from './poetry-constraint.js';
import { parseRequirement } from './requirement.js';
import { parseTomlText } from './toml-file.js';
import type { RootRequirement } from './types.js';

/** PyProject is what kiln needs from pyproject.toml; `data` keeps the whole document for Poetry's content-hash. */
export interface PyProject {
  path: string;
  name?: string;
  version?: string;
  requiresPython?: string;
  roots: RootRequirement[];
  /** extras the project offers, normalised. */
  extras: string[];
  /** groups the project has, `main` first. */
  groups: string[];
  data: Record<string, unknown>;
}

const poetryDependency = z.union([
  z.string(),
  z.looseObject({
    version: z.string().optional(),
    extras: z.array(z.string()).optional(),
    markers: z.string().optional(),
    python: z.string().optional(),
    platform: z.string().optional(),
    optional: z.boolean().optional(),
    path: z.string().optional(),
    url: z.string().optional(),
    git: z.string().optional(),
    develop: z.boolean().optional(),
  }),
]);
type PoetryDependency = z.infer<typeof poetryDependency>;
const poetryDependencies = z.record(z.string(), z.union([poetryDependency, z.array(poetryDependency)]));

const schema = z.looseObject({
  project: z
    .looseObject({
      name: z.string().optional(),
      version: z.string().optional(),
      'requires-python': z.string().optional(),
      dependencies: z.array(z.string()).optional(),
      'optional-dependencies': z.record(z.string(), z.array(z.string())).optional(),
    })
    .optional(),
  'dependency-groups': z.record(z.string(), z.array(z.union([z.string(), z.object({ 'include-group': z.string() })]))).optional(),
  tool: z
    .looseObject({
      poetry: z
        .looseObject({
          name: z.string().optional(),
          version: z.string().optional(),
          dependencies: poetryDependencies.optional(),
          'dev-dependencies': poetryDependencies.optional(),
          group: z.record(z.string(), z.looseObject({ dependencies: poetryDependencies.optional() })).optional(),
          extras: z.record(z.string(), z.array(z.string())).optional(),
        })
        .optional(),
    })
    .optional(),
});

/** readPyProject reads and interprets a pyproject.toml. */
export async function readPyProject(path: string): Promise<PyProject> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parsePyProject(text, path);
}

/** parsePyProject interprets pyproject.toml text; `path` names it in errors. */
export function parsePyProject(text: string, path: string): PyProject {
  const data = parseTomlText(text, path, z.record(z.string(), z.unknown()));
  const doc = parseTomlText(text, path, schema);
  const where = { file: path };
  const project = doc.project;
  const poetry = doc.tool?.poetry;
  const roots: RootRequirement[] = [];
  const extras = new Set<string>();
  const groups = new Set<string>(['main']);

  if (project?.dependencies) {
    for (const text of project.dependencies) roots.push({ ...parseRequirement(text, where), group: 'main' });
  }
  for (const [extra, requirements] of Object.entries(project?.['optional-dependencies'] ?? {})) {
    extras.add(normalizeName(extra));
    for (const text of requirements) {
      const requirement = parseRequirement(text, where);
      roots.push({ ...requirement, marker: andMarkers(requirement.marker, `extra == "${normalizeName(extra)}"`), group: 'main' });
    }
  }
  for (const group of Object.keys(doc['dependency-groups'] ?? {})) {
    groups.add(normalizeName(group));
    for (const text of expandGroup(doc['dependency-groups']!, group, path, [])) {
      roots.push({ ...parseRequirement(text, where), group: normalizeName(group) });
    }
  }

  if (poetry) {
    const extrasOf = new Map<string, string[]>();
    for (const [extra, names] of Object.entries(poetry.extras ?? {})) {
      extras.add(normalizeName(extra));
      for (const name of names) extrasOf.set(normalizeName(name), [...(extrasOf.get(normalizeName(name)) ?? []), normalizeName(extra)]);
    }
    // With PEP 621 dependencies, [tool.poetry.dependencies] only adds details (sources, paths) to them.
    if (!project?.dependencies) roots.push(...fromPoetry(poetry.dependencies ?? {}, 'main', extrasOf, where));
    if (poetry['dev-dependencies']) {
      groups.add('dev');
      roots.push(...fromPoetry(poetry['dev-dependencies'], 'dev', extrasOf, where));
    }
    for (const [group, body] of Object.entries(poetry.group ?? {})) {
      groups.add(normalizeName(group));
      roots.push(...fromPoetry(body.dependencies ?? {}, normalizeName(group), extrasOf, where));
    }
  }

  const python = poetry?.dependencies?.python;
  return {
    path,
    name: project?.name ?? poetry?.name,
    version: project?.version ?? poetry?.version,
    requiresPython: project?.['requires-python'] ?? (typeof python === 'string' ? poetryConstraintToPep440(python, where) : undefined),
    roots,
    extras: [...extras],
    groups: [...groups],
    data,
  };
}

function expandGroup(table: Record<string, Array<string | { 'include-group': string }>>, group: string, path: string, seen: string[]): string[] {
  if (seen.includes(group)) throw new InputError(`dependency group ${group} includes itself`, { where: { file: path } });
  const entries = table[group] ?? Object.entries(table).find(([name]) => normalizeName(name) === normalizeName(group))?.[1];
  if (!entries) throw new InputError(`dependency group ${group} is included but not defined`, { where: { file: path } });
  return entries.flatMap((entry) => (typeof entry === 'string' ? [entry] : expandGroup(table, entry['include-group'], path, [...seen, group])));
}

function fromPoetry(
  table: Record<string, PoetryDependency | PoetryDependency[]>,
  group: string,
  extrasOf: Map<string, string[]>,
  where: SourceLocation,
): RootRequirement[] {
  const roots: RootRequirement[] = [];
  for (const [rawName, value] of Object.entries(table)) {
    const name = normalizeName(rawName);
    if (name === 'python') continue;
    for (const spec of Array.isArray(value) ? value : [value]) {
      const requirement = poetryRequirement(name, spec, where);
      if (typeof spec !== 'string' && spec.optional) {
        // An optional dependency is installed only through an extra that lists it.
        const extras = extrasOf.get(name) ?? [];
        if (extras.length === 0) continue;
        requirement.marker = andMarkers(requirement.marker, extras.map((extra) => `extra == "${extra}"`).join(' or '));
      }
      roots.push({ ...requirement, group });
    }
  }
  return roots;
}

/** poetryRequirement turns one Poetry dependency entry (string or table) into a Requirement. */
export function poetryRequirement(name: string, spec: PoetryDependency, where: SourceLocation): Omit<RootRequirement, 'group'> {
  if (typeof spec === 'string') return { name, extras: [], specifier: poetryConstraintToPep440(spec, where) };
  const requirement: Omit<RootRequirement, 'group'> = {
    name,
    extras: (spec.extras ?? []).map(normalizeName),
    specifier: spec.version ? poetryConstraintToPep440(spec.version, where) : '',
  };
  const url = spec.url ?? (spec.git ? `git+${spec.git}` : undefined);
  if (url) requirement.url = url;
  let marker = spec.markers;
  if (spec.python) marker = andMarkers(marker, pythonMarker(poetryConstraintToPep440(spec.python, where)));
  if (spec.platform) marker = andMarkers(marker, `sys_platform == "${spec.platform}"`);
  if (marker) requirement.marker = marker;
  return requirement;
}

/** andMarkers joins two optional markers with `and`, parenthesising each. */
export function andMarkers(left: string | undefined, right: string | undefined): string | undefined {
  if (!left || !right) return left || right;
  return `(${left}) and (${right})`;
}

// `>=3.8,<4 || ==2.7.*` -> python_version markers, as Poetry writes them.
function pythonMarker(specifier: string): string | undefined {
  if (specifier === '') return undefined;
  const alternatives = specifier.split(' || ').map((alternative) =>
    alternative
      .split(',')
      .map((part) => {
        const [, op, version] = /^(===|==|!=|<=|>=|~=|<|>)(.*)$/.exec(part)!;
        const variable = version!.replace(/\.\*$/, '').split('.').length > 2 ? 'python_full_version' : 'python_version';
        return `${variable} ${op} "${version}"`;
      })
      .join(' and '),
  );
  return alternatives.length === 1 ? alternatives[0] : alternatives.map((alternative) => `(${alternative})`).join(' or ');
}
