// why: the dependency chains that pulled a package into an image, and what removing it would save, worked out from
// the image's own metadata (dpkg's Depends/Pre-Depends/Provides, dist-info Requires-Dist with markers and extras).
import { parseRelations } from '../debian/relations.js';
import { InputError } from '../errors.js';
import { evaluateMarker, markerEnvironment } from '../python/markers.js';
import { normalizeName } from '../python/names.js';
import { parseRequirement } from '../python/requirement.js';
import { targetEnvironment } from '../python/target.js';
import type { ImagePackages } from './packages.js';

/** Ecosystem says which package graph a name belongs to. */
export type Ecosystem = 'debian' | 'python';

/** GraphNode is one installed package in a dependency graph. */
export interface GraphNode {
  name: string;
  version: string;
  /** size is the installed size in bytes. */
  size: number;
  /** requires lists the installed packages it depends on (by node key). */
  requires: string[];
}

/** PackageGraph is one ecosystem's installed packages and their dependencies, with its roots. */
export interface PackageGraph {
  ecosystem: Ecosystem;
  nodes: Map<string, GraphNode>;
  /** roots are what was asked for (a plan's request) or, otherwise, what nothing else depends on. */
  roots: string[];
}

/** ChainStep is one package on a chain, root first. */
export interface ChainStep {
  name: string;
  version: string;
}

/** WhyResult is the answer for one package. */
export interface WhyResult {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  size: number;
  /** root is true when the package is itself a root (requested, or needed by nothing). */
  root: boolean;
  /** requiredBy lists the installed packages that depend on it directly. */
  requiredBy: string[];
  /** chains are the shortest dependency chains from each root that reaches it (root first, the package last). */
  chains: ChainStep[][];
  /** exclusive lists what only it keeps in the image (itself first): removing it removes these. */
  exclusive: Array<{ name: string; version: string; size: number }>;
  /** saves is the installed bytes of the exclusive closure. */
  saves: number;
}

/** GraphOptions: the plan's requested packages (roots), and the platform architecture for markers. */
export interface GraphOptions {
  requested?: { debian?: readonly string[]; python?: readonly string[] };
  architecture?: string;
  variant?: string;
}

// Roots: the requested packages that are installed, plus anything nothing depends on, then (for cycles nothing
// outside reaches) the first unreached package by name, until every package is reachable.
function withRoots(nodes: Map<string, GraphNode>, requested: readonly string[] | undefined): string[] {
  const depended = new Set([...nodes.values()].flatMap((node) => node.requires));
  const roots = [...new Set([...(requested ?? []).filter((name) => nodes.has(name)), ...[...nodes.keys()].filter((key) => !depended.has(key)).sort()])];
  const reached = reachable(nodes, roots, undefined);
  for (const key of [...nodes.keys()].sort()) {
    if (reached.has(key)) continue;
    roots.push(key);
    for (const more of reachable(nodes, [key], undefined)) reached.add(more);
  }
  return roots;
}

function reachable(nodes: ReadonlyMap<string, GraphNode>, roots: readonly string[], without: string | undefined): Set<string> {
  const seen = new Set<string>();
  const queue = roots.filter((root) => root !== without && nodes.has(root));
  for (const root of queue) seen.add(root);
  while (queue.length) {
    for (const next of nodes.get(queue.shift()!)!.requires) {
      if (next === without || seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  return seen;
}

/** debianGraph links each installed package to the installed packages (or providers) its Depends and Pre-Depends name. */
export function debianGraph(packages: ImagePackages, options: GraphOptions = {}): PackageGraph {
  const providers = new Map<string, string[]>();
  const provide = (name: string, by: string): void => {
    const list = providers.get(name) ?? [];
    if (!list.includes(by)) list.push(by);
    providers.set(name, list);
  };
  for (const deb of packages.debs) {
    provide(deb.name, deb.name);
    for (const group of parseRelations(deb.provides, `${deb.name} Provides`)) for (const alternative of group) provide(alternative.name, deb.name);
  }
  const nodes = new Map<string, GraphNode>();
  for (const deb of packages.debs) {
    const architecture = deb.architecture === 'all' ? options.architecture : deb.architecture;
    const requires = new Set<string>();
    for (const [field, text] of [['Pre-Depends', deb.preDepends], ['Depends', deb.depends]] as const) {
      for (const group of parseRelations(text, `${deb.name} ${field}`, architecture)) {
        // Every installed alternative satisfies the group: each is a reason it is there, and none alone is needed.
        for (const alternative of group) for (const by of providers.get(alternative.name) ?? []) if (by !== deb.name) requires.add(by);
      }
    }
    nodes.set(deb.name, { name: deb.name, version: deb.version, size: deb.installedSize, requires: [...requires].sort() });
  }
  return { ecosystem: 'debian', nodes, roots: withRoots(nodes, options.requested?.debian) };
}

/**
 * pythonGraph links each installed distribution to those its Requires-Dist names, with markers evaluated for the
 * image's Python and platform. An `extra == "x"` requirement counts when something installed asks for `dist[x]`
 * (worked out to a fixed point, since extras pull in packages that ask for more extras).
 */
export function pythonGraph(packages: ImagePackages, options: GraphOptions = {}): PackageGraph {
  const byKey = new Map(packages.python.map((dist) => [dist.key, dist] as const));
  const target = targetEnvironment({
    architecture: options.architecture ?? 'amd64',
    ...(options.variant ? { variant: options.variant } : {}),
    pythonFullVersion: packages.pythonVersion ?? '3.11.0',
  });
  const parsed = new Map(packages.python.map((dist) => [dist.key, dist.requires.flatMap((text) => {
    try {
      return [parseRequirement(text)];
    } catch {
      return []; // A malformed requirement in someone's METADATA is not a reason to refuse the whole image.
    }
  })] as const));
  const extras = new Map<string, Set<string>>(packages.python.map((dist) => [dist.key, new Set<string>()]));
  const edges = new Map<string, Set<string>>();
  for (let changed = true; changed;) {
    changed = false;
    for (const dist of packages.python) {
      const environment = markerEnvironment(target, { extras: extras.get(dist.key)! });
      const requires = new Set<string>();
      for (const requirement of parsed.get(dist.key)!) {
        if (!byKey.has(requirement.name) || requirement.name === dist.key) continue;
        let holds: boolean;
        try {
          holds = evaluateMarker(requirement.marker, environment);
        } catch {
          holds = false;
        }
        if (!holds) continue;
        requires.add(requirement.name);
        const wanted = extras.get(requirement.name)!;
        for (const extra of requirement.extras) {
          if (!wanted.has(extra)) {
            wanted.add(extra);
            changed = true;
          }
        }
      }
      edges.set(dist.key, requires);
    }
  }
  const nodes = new Map<string, GraphNode>();
  for (const dist of packages.python) {
    nodes.set(dist.key, { name: dist.name, version: dist.version, size: dist.size, requires: [...edges.get(dist.key)!].sort() });
  }
  return { ecosystem: 'python', nodes, roots: withRoots(nodes, options.requested?.python?.map(normalizeName)) };
}

/** shortestChains lists, per root that reaches `key`, its shortest chains to it (at most `limit` in all). */
export function shortestChains(graph: PackageGraph, key: string, limit = 5): string[][] {
  const reverse = new Map<string, string[]>();
  for (const [from, node] of graph.nodes) for (const to of node.requires) reverse.set(to, [...(reverse.get(to) ?? []), from]);
  const distance = new Map<string, number>([[key, 0]]);
  const queue = [key];
  while (queue.length) {
    const current = queue.shift()!;
    for (const from of reverse.get(current) ?? []) {
      if (distance.has(from)) continue;
      distance.set(from, distance.get(current)! + 1);
      queue.push(from);
    }
  }
  const roots = graph.roots.filter((root) => distance.has(root)).sort((a, b) => distance.get(a)! - distance.get(b)! || (a < b ? -1 : 1));
  const chains: string[][] = [];
  const walk = (path: string[]): void => {
    if (chains.length >= limit) return;
    const last = path.at(-1)!;
    if (last === key) {
      chains.push(path);
      return;
    }
    for (const next of graph.nodes.get(last)!.requires) if (distance.get(next) === distance.get(last)! - 1) walk([...path, next]);
  };
  for (const root of roots) walk([root]);
  return chains;
}

/** explain answers why one installed package (by node key) is in the graph. */
export function explain(graph: PackageGraph, key: string, limit = 5): WhyResult {
  const node = graph.nodes.get(key);
  if (!node) throw new InputError(`${key} is not installed`);
  const kept = reachable(graph.nodes, graph.roots, key);
  const exclusive = [key, ...[...graph.nodes.keys()].filter((other) => other !== key && !kept.has(other)).sort()]
    .map((other) => graph.nodes.get(other)!)
    .map(({ name, version, size }) => ({ name, version, size }));
  const step = (other: string): ChainStep => ({ name: graph.nodes.get(other)!.name, version: graph.nodes.get(other)!.version });
  return {
    ecosystem: graph.ecosystem,
    name: node.name,
    version: node.version,
    size: node.size,
    root: graph.roots.includes(key),
    requiredBy: [...graph.nodes].filter(([, other]) => other.requires.includes(key)).map(([, other]) => other.name).sort(),
    chains: shortestChains(graph, key, limit).map((chain) => chain.map(step)),
    exclusive,
    saves: exclusive.reduce((sum, pkg) => sum + pkg.size, 0),
  };
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** closeNames suggests installed names near `wanted`: containing it, or a few edits away; closest first. */
export function closeNames(wanted: string, names: Iterable<string>, limit = 5): string[] {
  const lower = wanted.toLowerCase();
  // A name is close when it contains the wanted one, or it or one of its parts (`python3-numpy`: `numpy`) is a few edits away.
  const distance = (name: string): number => {
    const candidate = name.toLowerCase();
    if (candidate.includes(lower) || lower.includes(candidate)) return Math.abs(candidate.length - lower.length) / 100;
    return Math.min(editDistance(lower, candidate), ...candidate.split(/[-_.]/).filter(Boolean).map((part) => editDistance(lower, part) + 0.5));
  };
  return [...new Set(names)]
    .map((name) => ({ name, distance: distance(name) }))
    .filter(({ distance }) => distance <= Math.max(2, Math.floor(lower.length / 3)))
    .sort((a, b) => a.distance - b.distance || (a.name < b.name ? -1 : 1))
    .slice(0, limit)
    .map(({ name }) => name);
}

/**
 * why answers for a package by name in both graphs (a Debian name, or a Python name in any spelling PEP 503 folds
 * together). A name neither holds is one InputError naming the image and the closest installed names.
 */
export function why(name: string, graphs: readonly PackageGraph[], where: string, limit = 5): WhyResult[] {
  const results = graphs.flatMap((graph) => {
    const key = graph.ecosystem === 'python' ? normalizeName(name) : name;
    return graph.nodes.has(key) ? [explain(graph, key, limit)] : [];
  });
  if (results.length) return results;
  const close = closeNames(name, graphs.flatMap((graph) => [...graph.nodes.values()].map((node) => node.name)));
  throw new InputError(`${where}: no package "${name}" is installed${close.length ? ` (did you mean ${close.join(', ')}?)` : ''}`);
}
