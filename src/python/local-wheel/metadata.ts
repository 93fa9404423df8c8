// Core metadata (METADATA, version 2.1) and entry points for a local project, from PEP 621 [project]
// or Poetry's [tool.poetry].
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { poetryConstraintToPep440 } from '../poetry-constraint.js';
import type { LocalProject } from './backend.js';

/** ProjectMetadata is what goes into METADATA and entry_points.txt. */
export interface ProjectMetadata {
  name: string;
  version: string;
  fields: Array<[string, string]>;
  description?: { text: string; contentType: string };
  /** entryPoints maps a group (console_scripts, gui_scripts, ...) to name = value lines. */
  entryPoints: Record<string, Record<string, string>>;
}

type Table = Record<string, unknown>;
const table = (value: unknown): Table => (value && typeof value === 'object' && !Array.isArray(value) ? value as Table : {});
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

function readme(project: LocalProject, value: unknown): ProjectMetadata['description'] {
  const spec = typeof value === 'string' ? { file: value } : table(value) as { file?: string; text?: string; 'content-type'?: string };
  if (!spec.file && spec.text === undefined) return undefined;
  const text = spec.text ?? readFileSync(join(project.dir, spec.file!), 'utf8');
  const contentType = spec['content-type'] ?? (/\.md$/i.test(spec.file ?? '') ? 'text/markdown' : /\.rst$/i.test(spec.file ?? '') ? 'text/x-rst' : 'text/plain');
  return { text, contentType };
}

/** readmeFile names the file a project's metadata takes its long description from, relative to the project, if any. */
export function readmeFile(project: LocalProject): string | undefined {
  const value = project.pyproject.project ? table(project.pyproject.project).readme : table(table(project.pyproject.tool).poetry).readme;
  const file = typeof value === 'string' ? value : (table(value) as { file?: unknown }).file;
  return typeof file === 'string' ? file : undefined;
}

function people(fields: Array<[string, string]>, key: 'Author' | 'Maintainer', value: unknown): void {
  const names: string[] = [];
  const emails: string[] = [];
  for (const person of Array.isArray(value) ? value : []) {
    const { name, email } = table(person) as { name?: string; email?: string };
    if (email) emails.push(name ? `${name} <${email}>` : email);
    else if (name) names.push(name);
  }
  if (names.length) fields.push([key, names.join(', ')]);
  if (emails.length) fields.push([`${key}-email`, emails.join(', ')]);
}

/** pep621Metadata reads [project]; dynamic fields are refused because they need the backend to run. */
export function pep621Metadata(project: LocalProject): ProjectMetadata {
  const p = table(project.pyproject.project);
  const where = `project ${project.dir}`;
  if (typeof p.name !== 'string') throw new InputError(`${where}: [project] has no name`);
  const dynamic = strings(p.dynamic);
  if (dynamic.length) throw new InputError(`${where}: [project] declares dynamic ${dynamic.join(', ')}, which needs the build backend to run`);
  if (typeof p.version !== 'string') throw new InputError(`${where}: [project] has no version`);
  const fields: Array<[string, string]> = [];
  if (typeof p.description === 'string') fields.push(['Summary', p.description]);
  const keywords = strings(p.keywords);
  if (keywords.length) fields.push(['Keywords', keywords.join(',')]);
  people(fields, 'Author', p.authors);
  people(fields, 'Maintainer', p.maintainers);
  const license = table(p.license) as { text?: string };
  if (typeof p.license === 'string') fields.push(['License-Expression', p.license]);
  else if (license.text) fields.push(['License', license.text]);
  for (const classifier of strings(p.classifiers)) fields.push(['Classifier', classifier]);
  for (const [label, url] of Object.entries(table(p.urls))) fields.push(['Project-URL', `${label}, ${String(url)}`]);
  if (typeof p['requires-python'] === 'string') fields.push(['Requires-Python', p['requires-python']]);
  for (const requirement of strings(p.dependencies)) fields.push(['Requires-Dist', requirement]);
  for (const [extra, requirements] of Object.entries(table(p['optional-dependencies']))) {
    fields.push(['Provides-Extra', extra]);
    for (const requirement of strings(requirements)) {
      const [spec, marker] = requirement.split(';').map((s) => s.trim()) as [string, string | undefined];
      fields.push(['Requires-Dist', `${spec}; ${marker ? `(${marker}) and ` : ''}extra == "${extra}"`]);
    }
  }
  const entryPoints: ProjectMetadata['entryPoints'] = {};
  if (Object.keys(table(p.scripts)).length) entryPoints.console_scripts = table(p.scripts) as Record<string, string>;
  if (Object.keys(table(p['gui-scripts'])).length) entryPoints.gui_scripts = table(p['gui-scripts']) as Record<string, string>;
  for (const [group, entries] of Object.entries(table(p['entry-points']))) entryPoints[group] = table(entries) as Record<string, string>;
  const description = readme(project, p.readme);
  return { name: p.name, version: p.version, fields, ...(description ? { description } : {}), entryPoints };
}

interface PoetryRequirement {
  base: string;
  marker?: string;
  optional: boolean;
}

function withMarker(requirement: PoetryRequirement, extra?: string): string {
  const markers = [requirement.marker && extra ? `(${requirement.marker})` : requirement.marker, extra && `extra == "${extra}"`].filter(Boolean);
  return markers.length ? `${requirement.base} ; ${markers.join(' and ')}` : requirement.base;
}

function poetryRequirement(name: string, spec: unknown, where: string): PoetryRequirement | undefined {
  const t = typeof spec === 'string' ? { version: spec } : table(spec) as { version?: string; extras?: string[]; markers?: string; python?: string; optional?: boolean; path?: string; git?: string; url?: string };
  if (t.path || t.git || t.url) return undefined;
  const version = t.version && t.version !== '*' ? poetryConstraintToPep440(t.version, { file: where }) : '';
  const extras = t.extras?.length ? `[${t.extras.join(',')}]` : '';
  const markers: string[] = [];
  if (t.python && t.python !== '*') markers.push(pythonMarker(poetryConstraintToPep440(t.python, { file: where })));
  if (t.markers) markers.push(t.markers);
  const base = `${name}${extras}${version ? ` (${version})` : ''}`;
  return { base, ...(markers.length ? { marker: markers.join(' and ') } : {}), optional: t.optional === true };
}

function pythonMarker(specifier: string): string {
  return specifier.split(',').map((part) => {
    const [, op, version] = /^\s*(~=|===|==|!=|<=|>=|<|>)\s*(.+?)\s*$/.exec(part) ?? [];
    return `python_version ${op ?? '>='} "${version ?? part.trim()}"`;
  }).join(' and ');
}

/** poetryMetadata reads [tool.poetry] (poetry-core 1.x style projects). */
export function poetryMetadata(project: LocalProject): ProjectMetadata {
  if (project.pyproject.project) return pep621Metadata(project);
  const p = table(table(project.pyproject.tool).poetry);
  const where = `${project.dir}/pyproject.toml`;
  if (typeof p.name !== 'string' || typeof p.version !== 'string') throw new InputError(`project ${project.dir}: [tool.poetry] needs a name and a version`);
  const fields: Array<[string, string]> = [];
  if (typeof p.description === 'string') fields.push(['Summary', p.description]);
  if (typeof p.license === 'string') fields.push(['License', p.license]);
  const authors = strings(p.authors);
  if (authors.length) fields.push(['Author', authors.map((a) => a.replace(/\s*<.*>$/, '')).join(', ')]);
  const dependencies = table(p.dependencies);
  if (typeof dependencies.python === 'string') fields.push(['Requires-Python', poetryConstraintToPep440(dependencies.python, { file: where })]);
  for (const classifier of strings(p.classifiers)) fields.push(['Classifier', classifier]);
  const extras = table(p.extras);
  const required: PoetryRequirement[] = [];
  const optional = new Map<string, PoetryRequirement>();
  for (const [name, spec] of Object.entries(dependencies)) {
    if (name === 'python') continue;
    for (const one of Array.isArray(spec) ? spec : [spec]) {
      const parsed = poetryRequirement(name, one, where);
      if (!parsed) continue;
      if (parsed.optional) optional.set(name, parsed);
      else required.push(parsed);
    }
  }
  for (const extra of Object.keys(extras)) fields.push(['Provides-Extra', extra]);
  for (const requirement of required) fields.push(['Requires-Dist', withMarker(requirement)]);
  for (const [extra, names] of Object.entries(extras)) {
    for (const name of strings(names)) {
      const requirement = optional.get(name);
      if (requirement) fields.push(['Requires-Dist', withMarker(requirement, extra)]);
    }
  }
  const entryPoints: ProjectMetadata['entryPoints'] = {};
  const scripts = Object.fromEntries(Object.entries(table(p.scripts)).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  if (Object.keys(scripts).length) entryPoints.console_scripts = scripts;
  for (const [group, entries] of Object.entries(table(p.plugins))) entryPoints[group] = table(entries) as Record<string, string>;
  const description = typeof p.readme === 'string' ? readme(project, p.readme) : undefined;
  return { name: p.name, version: p.version, fields, ...(description ? { description } : {}), entryPoints };
}

/** formatMetadata renders METADATA: `Key: value` headers, then the long description as the body. */
export function formatMetadata(metadata: ProjectMetadata): string {
  const lines = ['Metadata-Version: 2.1', `Name: ${metadata.name}`, `Version: ${metadata.version}`];
  for (const [key, value] of metadata.fields) lines.push(`${key}: ${value.replace(/\r?\n/g, '\n        ')}`);
  if (metadata.description) lines.push(`Description-Content-Type: ${metadata.description.contentType}`);
  return `${lines.join('\n')}\n\n${metadata.description ? `${metadata.description.text}` : ''}`;
}

/** formatEntryPoints renders entry_points.txt, groups and names in the order given. */
export function formatEntryPoints(entryPoints: ProjectMetadata['entryPoints']): string | undefined {
  const groups = Object.entries(entryPoints).filter(([, entries]) => Object.keys(entries).length);
  if (!groups.length) return undefined;
  return groups.map(([group, entries]) => `[${group}]\n${Object.entries(entries).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`).join('\n');
}
