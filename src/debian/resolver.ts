// Dependency closure over Packages indexes: Depends and Pre-Depends (Recommends on request), alternatives,
// versioned constraints, Provides, Multi-Arch qualifiers, exclusions, highest version across sources.
// Greedy like apt for a consistent distro snapshot: no backtracking, so errors stay explainable.
import { ResolutionError } from '../errors.js';
import type { PackageRecord } from './packages-index.js';
import { formatDependency, formatGroup, parseRelations, type Dependency, type DependencyGroup } from './relations.js';
import type { ResolvedPackage } from './types.js';
import { compareVersions, satisfies } from './version.js';

/** ResolveOptions says what to resolve for; `packages` are names or relations like `python3 (>= 3.11)`. */
export interface ResolveOptions {
  packages: string[];
  /** architecture is the native architecture (dpkg's), e.g. amd64 or arm64. */
  architecture: string;
  /** exclude names packages left out of the image; a dependency on one counts as satisfied. */
  exclude?: string[];
  recommends?: boolean;
  /**
   * omit tells whether a dependency is left out, given the chain of packages that wants it (requested one first);
   * requested packages are never left out. A dependency on an omitted package counts as satisfied.
   */
  omit?: (name: string, chain: readonly string[]) => boolean;
}

/** OmittedPackage is a package left out of a runtime closure, with the chain of dependencies that wanted it (it last). */
export interface OmittedPackage {
  name: string;
  chain: string[];
}

/** Closure is a resolution: the packages to install and those left out. */
export interface Closure {
  packages: ResolvedPackage[];
  omitted: OmittedPackage[];
}

interface Provider {
  record: PackageRecord;
  version?: string;
}

const PRIORITY = ['required', 'important', 'standard', 'optional', 'extra'];

function priorityRank(record: PackageRecord): number {
  const rank = PRIORITY.indexOf(record.priority ?? 'optional');
  return rank < 0 ? PRIORITY.length : rank;
}

/** Universe indexes candidate records for one architecture: real packages by name, highest version first, and providers. */
class Universe {
  readonly byName = new Map<string, PackageRecord[]>();
  readonly providers = new Map<string, Provider[]>();

  constructor(records: PackageRecord[], readonly architecture: string) {
    for (const record of records) {
      if (record.architecture !== architecture && record.architecture !== 'all') continue;
      const list = this.byName.get(record.name);
      if (list) list.push(record);
      else this.byName.set(record.name, [record]);
    }
    for (const list of this.byName.values()) {
      // Stable: among equal versions the earlier source (e.g. the main suite) wins.
      list.sort((a, b) => compareVersions(b.version, a.version));
      const best = list[0]!;
      for (const provide of parseRelations(best.provides, `${best.name} Provides`).flat()) {
        const entry = { record: best, version: provide.relation === '=' ? provide.version : undefined };
        const providers = this.providers.get(provide.name);
        if (providers) providers.push(entry);
        else this.providers.set(provide.name, [entry]);
      }
    }
    for (const providers of this.providers.values()) {
      providers.sort((a, b) => priorityRank(a.record) - priorityRank(b.record) || a.record.name.localeCompare(b.record.name));
    }
  }
}

// An arch qualifier limits which candidates count: `:any` needs Multi-Arch: allowed, `:native` the native arch.
function archAllows(dependency: Dependency, record: PackageRecord, architecture: string, viaProvides: boolean): boolean {
  switch (dependency.arch) {
    case undefined: return true;
    case 'any': return viaProvides ? record.multiArch === 'foreign' || record.multiArch === 'allowed' : record.multiArch === 'allowed';
    case 'native': return record.architecture === architecture || record.architecture === 'all';
    default: return record.architecture === dependency.arch || record.architecture === 'all';
  }
}

function versionAllows(dependency: Dependency, version: string | undefined): boolean {
  if (!dependency.relation) return true;
  return version !== undefined && satisfies(version, dependency.relation, dependency.version!);
}

/** resolvePackages computes the closed set of packages for the request, sorted by name. */
export function resolvePackages(records: PackageRecord[], options: ResolveOptions): ResolvedPackage[] {
  return resolveClosure(records, options).packages;
}

/** resolveClosure computes the closed set of packages, sorted by name, and what `omit` left out, first chain each. */
export function resolveClosure(records: PackageRecord[], options: ResolveOptions): Closure {
  const universe = new Universe(records, options.architecture);
  const excluded = new Set(options.exclude ?? []);
  const selected = new Map<string, PackageRecord>();
  const omitted = new Map<string, string[]>();
  const queue: Array<{ group: DependencyGroup; chain: string[] }> = [];

  const satisfiedBySelection = (dependency: Dependency): boolean => {
    const real = selected.get(dependency.name);
    if (real && versionAllows(dependency, real.version) && archAllows(dependency, real, options.architecture, false)) return true;
    return (universe.providers.get(dependency.name) ?? []).some((p) =>
      selected.get(p.record.name) === p.record && versionAllows(dependency, p.version) && archAllows(dependency, p.record, options.architecture, true));
  };

  const candidate = (dependency: Dependency): PackageRecord | undefined => {
    const current = selected.get(dependency.name);
    const real = (universe.byName.get(dependency.name) ?? []).find((r) =>
      (current === undefined || current === r) && versionAllows(dependency, r.version) && archAllows(dependency, r, options.architecture, false));
    if (real) return real;
    const providers = (universe.providers.get(dependency.name) ?? []).filter((p) =>
      versionAllows(dependency, p.version) && archAllows(dependency, p.record, options.architecture, true));
    return (providers.find((p) => selected.get(p.record.name) === p.record) ?? providers[0])?.record;
  };

  const explain = (dependency: Dependency): string => {
    const versions = (universe.byName.get(dependency.name) ?? []).map((r) => r.version);
    const selectedVersion = selected.get(dependency.name)?.version;
    if (selectedVersion !== undefined) return `${dependency.name} ${selectedVersion} is already selected`;
    if (versions.length && dependency.relation) return `only ${[...new Set(versions)].join(', ')} available`;
    if (versions.length && dependency.arch === 'any') return `${dependency.name} is not Multi-Arch: allowed`;
    if (versions.length) return `${dependency.name} is not available for ${options.architecture}`;
    if (universe.providers.has(dependency.name)) return `no provider of ${dependency.name} matches`;
    return `no package ${dependency.name} for ${options.architecture}`;
  };

  const select = (record: PackageRecord, chain: string[]): void => {
    selected.set(record.name, record);
    const path = [...chain, record.name];
    const where = `${record.name} ${record.version}`;
    const fields = [record.preDepends, record.depends, ...(options.recommends ? [record.recommends] : [])];
    for (const field of fields) {
      for (const group of parseRelations(field, where, options.architecture)) queue.push({ group, chain: path });
    }
  };

  for (const request of options.packages) {
    const groups = parseRelations(request, `requested package "${request}"`, options.architecture);
    for (const group of groups) queue.push({ group, chain: [] });
  }

  for (let next = queue.shift(); next; next = queue.shift()) {
    const { group, chain } = next;
    if (group.some((d) => excluded.has(d.name) || satisfiedBySelection(d))) continue;
    let chosen: PackageRecord | undefined;
    for (const dependency of group) {
      chosen = candidate(dependency);
      if (chosen) break;
    }
    if (chosen && chain.length > 0 && options.omit?.(chosen.name, chain)) {
      if (!omitted.has(chosen.name)) omitted.set(chosen.name, [...chain, chosen.name]);
      continue;
    }
    if (chosen) {
      select(chosen, chain);
      continue;
    }
    const reasons = group.map(explain).join('; ');
    if (chain.length === 0) {
      throw new ResolutionError(`cannot satisfy requested "${formatGroup(group)}": ${reasons}`);
    }
    const last = group.length === 1 ? [group[0]!.name] : [];
    throw new ResolutionError(
      `cannot satisfy "${group.map(formatDependency).join(' | ')}" needed by ${[...chain, ...last].join(' -> ')}: ${reasons}`);
  }

  const packages = [...selected.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((record) => ({
      name: record.name,
      version: record.version,
      architecture: record.architecture,
      filename: record.filename,
      sha256: record.sha256,
      size: record.size,
      source: record.source,
      mirror: record.mirror,
      control: record.stanza.fields.map(([field, value]) => [field, value] as [string, string]),
    }));
  const left = [...omitted].filter(([name]) => !selected.has(name)).map(([name, chain]) => ({ name, chain }));
  return { packages, omitted: left.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
}

/**
 * resolveLayers resolves the base, then each layer on top of what is below it: a layer holds the packages its
 * resolution adds. The base below must come out the same with or without the layer (same names, same versions),
 * so an image without the layer shares every base layer with one that has it.
 */
export function resolveLayers(records: PackageRecord[], layers: Record<string, string[]>, options: ResolveOptions): Closure {
  const base = resolveClosure(records, options);
  let below = base.packages;
  const omitted = new Map(base.omitted.map((o) => [o.name, o]));
  let wanted = [...options.packages];
  for (const [layer, names] of Object.entries(layers)) {
    wanted = [...wanted, ...names];
    const closure = resolveClosure(records, { ...options, packages: wanted });
    const stacked = closure.packages;
    for (const o of closure.omitted) if (!omitted.has(o.name)) omitted.set(o.name, o);
    const byName = new Map(stacked.map((pkg) => [pkg.name, pkg]));
    for (const pkg of below) {
      const same = byName.get(pkg.name);
      if (same?.version !== pkg.version) {
        throw new ResolutionError(`base layer "${layer}" changes ${pkg.name} ${pkg.version} below it (${same ? `to ${same.version}` : 'left out'}); move the package that pulls it into the base`);
      }
    }
    const present = new Map(below.map((pkg) => [pkg.name, pkg]));
    const added = stacked.filter((pkg) => !present.has(pkg.name));
    if (added.length === 0) throw new ResolutionError(`base layer "${layer}" adds no package: ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} already in the base below`);
    below = [...below, ...added.map((pkg) => ({ ...pkg, layer }))].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  const names = new Set(below.map((pkg) => pkg.name));
  const left = [...omitted.values()].filter((o) => !names.has(o.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { packages: below, omitted: left };
}
