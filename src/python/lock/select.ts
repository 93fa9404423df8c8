// selectPackages: the packages of a lock that one target installs, found by walking from the project's
// requirements through each dependency whose marker holds (with the extras requested of its package).
import { satisfies } from '@renovatebot/pep440';
import { IntegrityError, ResolutionError, UsageError } from '../../errors.js';
import { evaluateMarker, markerEnvironment, type MarkerEnvironment } from '../markers.js';
import { normalizeName } from '../names.js';
import type { LockedDependency, LockedPackage, PythonLock, SelectOptions, TargetEnvironment } from '../types.js';

interface Chosen {
  pkg: LockedPackage;
  extras: Set<string>;
  env: MarkerEnvironment;
}

/** selectPackages returns the locked packages to install for a target, sorted by name; it refuses unhashed downloads. */
export function selectPackages(lock: PythonLock, target: TargetEnvironment, options: SelectOptions = {}): LockedPackage[] {
  const groups = (options.groups ?? ['main']).map(normalizeName);
  const extras = (options.extras ?? []).map(normalizeName);
  for (const group of groups) {
    if (!lock.groups.includes(group)) throw new UsageError(`dependency group ${group} is not in ${lock.path} (it has: ${lock.groups.join(', ') || 'none'})`);
  }
  for (const extra of extras) {
    if (!lock.extras.includes(extra)) throw new UsageError(`extra ${extra} is not offered by ${lock.path} (it has: ${lock.extras.join(', ') || 'none'})`);
  }

  const byName = new Map<string, LockedPackage[]>();
  for (const pkg of lock.packages) byName.set(pkg.name, [...(byName.get(pkg.name) ?? []), pkg]);
  const chosen = new Map<string, Chosen>();
  const rootEnv = markerEnvironment(target, { extras, groups });
  const where = { file: lock.path };
  const queue: Array<{ dep: LockedDependency; from: string }> = [];
  for (const root of lock.roots) {
    if (groups.includes(root.group) && evaluateMarker(root.marker, rootEnv, where)) queue.push({ dep: root, from: 'the project' });
  }
  // A group or extra naming the project itself (`dev = ["app[test]"]`, `all = ["app[gpu,cli]"]`) is satisfied by
  // the root project: it brings in the project's own requirements with the extras it asks for.
  const project = lock.project?.name;
  const projectExtras = new Set(groups.includes('main') ? extras : []);
  let projectQueued = groups.includes('main');

  while (queue.length > 0) {
    const { dep, from } = queue.shift()!;
    if (project !== undefined && dep.name === project && !byName.has(project)) {
      const added = dep.extras.filter((extra) => !projectExtras.has(extra));
      if (projectQueued && added.length === 0) continue;
      for (const extra of added) {
        if (!lock.extras.includes(extra)) throw new ResolutionError(`${lock.path}: ${from} needs ${project}[${extra}], but the project offers no extra ${extra}`);
        projectExtras.add(extra);
      }
      // Requirements queued twice are taken once: the walk skips a package it has with the same extras.
      const env = markerEnvironment(target, { extras: projectExtras });
      for (const root of lock.roots) {
        if (root.group === 'main' && evaluateMarker(root.marker, env, where)) queue.push({ dep: root, from: `the project (as ${from} needs it)` });
      }
      projectQueued = true;
      continue;
    }
    const existing = chosen.get(dep.name);
    if (existing && !accepts(dep, existing.pkg.version)) {
      throw new ResolutionError(`${lock.path}: ${from} needs ${dep.name}${dep.version ? `==${dep.version}` : dep.specifier}, but ${existing.pkg.name}==${existing.pkg.version} was chosen`);
    }
    const newExtras = dep.extras.filter((extra) => !existing?.extras.has(extra));
    if (existing && newExtras.length === 0) continue;
    const extrasNow = new Set([...(existing?.extras ?? []), ...newExtras]);
    const pkg = existing?.pkg ?? choose(lock, byName, dep, from, target);
    const entry: Chosen = { pkg, extras: extrasNow, env: markerEnvironment(target, { extras: extrasNow }) };
    chosen.set(dep.name, entry);
    const label = `${entry.pkg.name}==${entry.pkg.version}`;
    for (const child of entry.pkg.dependencies) {
      if (evaluateMarker(child.marker, entry.env, where)) queue.push({ dep: child, from: label });
    }
  }

  const selected = [...chosen.values()].map((entry) => entry.pkg).sort((a, b) => a.name.localeCompare(b.name));
  if (!options.allowUnhashed) for (const pkg of selected) requireHashes(lock, pkg);
  return selected;
}

function choose(lock: PythonLock, byName: Map<string, LockedPackage[]>, dep: LockedDependency, from: string, target: TargetEnvironment): LockedPackage {
  const candidates = (byName.get(dep.name) ?? []).filter((pkg) => accepts(dep, pkg.version));
  // Several versions of one name are locked for different Pythons: keep the ones this Python may install.
  const fitting = candidates.filter((pkg) => !pkg.requiresPython || satisfiesAny(target.pythonFullVersion, pkg.requiresPython));
  const pick = (fitting.length > 0 ? fitting : candidates).sort((a, b) => compareVersions(b.version, a.version))[0];
  if (!pick) {
    const wanted = dep.version ? `==${dep.version}` : dep.specifier;
    throw new ResolutionError(`${lock.path}: ${from} needs ${dep.name}${wanted}, which is not in the lock`);
  }
  return pick;
}

function accepts(dep: LockedDependency, version: string): boolean {
  if (dep.version !== undefined) return dep.version === version;
  return dep.url !== undefined || dep.specifier === '' || satisfiesAny(version, dep.specifier);
}

// Poetry unions (`a || b`) hold when any alternative does.
function satisfiesAny(version: string, specifier: string): boolean {
  return specifier.split('||').some((alternative) => {
    const spec = alternative.trim();
    return spec === '' || satisfies(version, spec, { prereleases: true }) || version === spec.replace(/^===?/, '');
  });
}

function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  return satisfies(a, `>${b}`, { prereleases: true }) ? 1 : -1;
}

function requireHashes(lock: PythonLock, pkg: LockedPackage): void {
  if (pkg.source.kind === 'path' || pkg.source.kind === 'git') return;
  const unhashed = pkg.files.length === 0 || pkg.files.some((file) => Object.keys(file.hashes).length === 0);
  if (unhashed) {
    throw new IntegrityError(`${lock.path}: ${pkg.name}==${pkg.version} has no hash to verify its download (allow unhashed packages explicitly to accept it)`);
  }
}
