// Relationship fields (Depends, Pre-Depends, Recommends, Provides): `a (>= 1) | b:any, c [amd64]`.
import { InputError } from '../errors.js';
import { parseRelation, type Relation } from './version.js';

/** Dependency is one alternative: a name, an optional `:arch` qualifier and an optional version constraint. */
export interface Dependency {
  name: string;
  /** arch qualifier after the colon: `any`, `native` or an architecture name. */
  arch?: string;
  relation?: Relation;
  version?: string;
}

/** DependencyGroup is a comma-separated entry: alternatives separated by `|`, first satisfiable wins. */
export type DependencyGroup = Dependency[];

const ALTERNATIVE = /^([a-z0-9][a-z0-9+.-]*)(?::([a-z0-9-]+))?\s*(?:\(\s*(<<|<=|>=|>>|=|<|>)\s*([0-9][^\s)]*)\s*\))?\s*(?:\[([^\]]*)\])?\s*(?:<[^>]*>\s*)*$/i;

function appliesTo(restriction: string | undefined, architecture: string | undefined): boolean {
  if (restriction === undefined || architecture === undefined) return true;
  const archs = restriction.split(/\s+/).filter((a) => a !== '');
  const negated = archs.filter((a) => a.startsWith('!')).map((a) => a.slice(1));
  if (negated.length) return !negated.includes(architecture);
  return archs.includes(architecture);
}

/**
 * parseRelations splits a relationship field into groups of alternatives. Alternatives restricted to other
 * architectures (`[!amd64]`) are dropped when `architecture` is given. `where` names the field in errors.
 */
export function parseRelations(field: string | undefined, where: string, architecture?: string): DependencyGroup[] {
  if (field === undefined || field.trim() === '') return [];
  const groups: DependencyGroup[] = [];
  for (const entry of field.split(',')) {
    if (entry.trim() === '') continue;
    const group: DependencyGroup = [];
    for (const alternative of entry.split('|')) {
      const match = ALTERNATIVE.exec(alternative.trim());
      if (!match) throw new InputError(`${where}: cannot parse relation "${alternative.trim()}"`);
      const [, name, arch, op, version, restriction] = match;
      if (!appliesTo(restriction, architecture)) continue;
      const dependency: Dependency = { name: name!.toLowerCase() };
      if (arch) dependency.arch = arch.toLowerCase();
      if (op) {
        dependency.relation = parseRelation(op);
        dependency.version = version!;
      }
      group.push(dependency);
    }
    if (group.length) groups.push(group);
  }
  return groups;
}

/** formatDependency writes one alternative back in control syntax, e.g. `libc6 (>= 2.36)`. */
export function formatDependency(dependency: Dependency): string {
  const name = dependency.arch ? `${dependency.name}:${dependency.arch}` : dependency.name;
  return dependency.relation ? `${name} (${dependency.relation} ${dependency.version})` : name;
}

/** formatGroup writes a group of alternatives back, e.g. `debconf (>= 0.5) | debconf-2.0`. */
export function formatGroup(group: DependencyGroup): string {
  return group.map(formatDependency).join(' | ');
}
