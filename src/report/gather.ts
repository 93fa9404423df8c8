// gatherReport: everything `kiln report` shows about a manifest's entries, as plain data: each entry's tags and
// destinations (from the plan), its last build's layers, packages with their `why` chains and a size tree (from the
// build records), its build history and its last scan. The HTML renderer consumes this and nothing else.
import { join } from 'node:path';
import type { BlobStore } from '../cache/blob-store.js';
import { buildHistory, findBuild, storedBuild, type HistoryEntry } from '../cache/build-records.js';
import { errorMessage } from '../errors.js';
import type { ImageFiles } from '../inspect/image-files.js';
import { inspectImage, type ImageSummary } from '../inspect/image-summary.js';
import { debianGraph, explain, pythonGraph, type PackageGraph } from '../inspect/why.js';
import { isImageIndex } from '../oci/image-index.js';
import type { Image } from '../oci/image.js';
import { formatPlatform, planBuild, type ImagePlan } from '../plan/index.js';
import { normalizeName } from '../python/names.js';
import { readPyProject } from '../python/pyproject.js';
import { findScan, type ScanRecord } from '../scan/scan-record.js';
import { fileOwners, packageKey } from './owners.js';
import type { SizeNode } from './treemap.js';

/** ReportPackage is one installed package with why it is there. */
export interface ReportPackage {
  /** key is `debian:NAME` or `python:KEY@LOCATION` (see packageKey). */
  key: string;
  ecosystem: 'debian' | 'python';
  name: string;
  version: string;
  /** size is the installed bytes. */
  size: number;
  layer?: number;
  /** location is a Python distribution's site-packages folder. */
  location?: string;
  /** root: requested by the plan, or needed by nothing installed; requested: kiln.yaml names it. */
  root: boolean;
  requested: boolean;
  requiredBy: string[];
  /** chains are the shortest dependency chains (package names, root first, this package last). */
  chains: string[][];
  /** saves is what removing it (and what only it pulls in) would save; exclusive counts those packages. */
  saves: number;
  exclusive: number;
}

/** ReportLayer is one layer of an entry's image. */
export interface ReportLayer {
  digest: string;
  size: number;
  uncompressedSize: number;
  files: number;
  /** holds is the layer's history line (what kiln put in it). */
  holds: string;
}

/** EntryImage is what one platform of an entry's last build holds. */
export interface EntryImage {
  digest: string;
  platform: string;
  os?: string;
  size: number;
  unpackedSize: number;
  created?: string;
  layers: ReportLayer[];
  /** tree is the size treemap: layers, then packages (and unowned folders), then folders. */
  tree: SizeNode;
  packages: ReportPackage[];
}

/** EntryReport is one entry of the manifest. */
export interface EntryReport {
  name: string;
  tags: string[];
  immutableTags: boolean;
  publish: boolean;
  outputs: string[];
  destinations: Array<{ registry: string; references: string[]; skipped?: string }>;
  /** digest is the last build's (an image index's for a multi-platform entry); absent when `notBuilt` says why. */
  digest?: string;
  /** images are the last build's, one per platform (none when not built). */
  images: EntryImage[];
  notBuilt?: string;
  history: HistoryEntry[];
  /** scan is the entry's last `kiln scan`; absent when it was never scanned. */
  scan?: ScanRecord;
}

/** ReportData is the whole report. */
export interface ReportData {
  manifestFile: string;
  /** generated is when the report was made (ISO 8601). */
  generated: string;
  kilnVersion: string;
  entries: EntryReport[];
}

/** GatherOptions: where the manifest is, the cache holding its builds, and the environment its templates read. */
export interface GatherOptions {
  manifestFile: string;
  store: BlobStore;
  cwd: string;
  env: NodeJS.ProcessEnv;
  kilnVersion?: string;
  now?: Date;
  /** overrides are `--set PATH=VALUE` changes to kiln.yaml, as the build that is reported was given them. */
  overrides?: readonly string[];
}

/** CHAINS is how many chains a package shows, as many as `kiln why` prints by default. */
const CHAINS = 5;
/** FOLDER_DEPTH is how many path segments a treemap folder box spans (`usr/lib/python3`). */
const FOLDER_DEPTH = 3;
/** FOLDER_LIMIT is how many folders a package or a layer's unowned files show; the rest is one box. */
const FOLDER_LIMIT = 8;

function folderOf(path: string): string {
  const parts = path.split('/');
  return parts.length === 1 ? '/' : `/${parts.slice(0, Math.min(FOLDER_DEPTH, parts.length - 1)).join('/')}`;
}

// Biggest first (ties by name), the smallest beyond `limit` merged into one box.
function folderNodes(sizes: ReadonlyMap<string, number>, kind: SizeNode['kind'], limit: number, key?: string): SizeNode[] {
  const sorted = [...sizes].filter(([, size]) => size > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const nodes: SizeNode[] = sorted.slice(0, limit).map(([name, size]) => ({ name, size, kind, ...(key ? { key } : {}) }));
  const rest = sorted.slice(limit);
  if (rest.length) nodes.push({ name: `${rest.length} more folders`, size: rest.reduce((sum, [, size]) => sum + size, 0), kind: 'files', ...(key ? { key } : {}) });
  return nodes;
}

/**
 * sizeTree groups each layer's file bytes by the package owning each file (see fileOwners), and within a package by
 * folder; files no package owns are grouped by folder directly under the layer. A layer's box is its tar's size.
 */
export function sizeTree(summary: ImageSummary, files: ImageFiles, owners: ReadonlyMap<string, string>, names: ReadonlyMap<string, string>): SizeNode {
  const layers = summary.layers.map((layer, index): SizeNode => {
    const byPackage = new Map<string, Map<string, number>>();
    const unowned = new Map<string, number>();
    for (const [path, member] of files.layers[index]!.members) {
      if (member.type !== 'file' || member.size === 0) continue;
      const owner = owners.get(path);
      const folders = owner === undefined ? unowned : byPackage.get(owner) ?? byPackage.set(owner, new Map()).get(owner)!;
      const folder = folderOf(path);
      folders.set(folder, (folders.get(folder) ?? 0) + member.size);
    }
    const packages: SizeNode[] = [...byPackage].map(([key, folders]) => ({
      name: names.get(key) ?? key,
      size: [...folders.values()].reduce((a, b) => a + b, 0),
      kind: 'package',
      key,
      children: folderNodes(folders, 'folder', FOLDER_LIMIT, key),
    }));
    packages.sort((a, b) => b.size - a.size || (a.name < b.name ? -1 : 1));
    return {
      name: `layer ${index}`,
      size: layer.uncompressedSize,
      kind: 'layer',
      children: [...packages, ...folderNodes(unowned, 'folder', FOLDER_LIMIT * 2)],
    };
  });
  return { name: summary.name, size: summary.unpackedSize, kind: 'layer', children: layers };
}

function packagesOf(graphs: readonly PackageGraph[], summary: ImageSummary, requested: ReadonlySet<string>, requestedPython: ReadonlySet<string>): ReportPackage[] {
  const [debian, python] = graphs as [PackageGraph, PackageGraph];
  const out: ReportPackage[] = [];
  for (const deb of summary.debs) {
    if (!debian.nodes.has(deb.name)) continue;
    const why = explain(debian, deb.name, CHAINS);
    out.push({
      key: packageKey('debian', deb.name), ecosystem: 'debian', name: deb.name, version: deb.version, size: deb.installedSize,
      ...(deb.layer === undefined ? {} : { layer: deb.layer }),
      root: why.root, requested: requested.has(deb.name), requiredBy: why.requiredBy, chains: why.chains.map((chain) => chain.map((step) => step.name)), saves: why.saves, exclusive: why.exclusive.length,
    });
  }
  // pythonGraph keys by normalised name: a name installed in two places is explained once and shown for both.
  for (const dist of summary.python) {
    const key = normalizeName(dist.name);
    const why = python.nodes.has(key) ? explain(python, key, CHAINS) : undefined;
    out.push({
      key: packageKey('python', key, dist.location.slice(1)), ecosystem: 'python', name: dist.name, version: dist.version, size: dist.size,
      layer: dist.layer, location: dist.location,
      root: why?.root ?? true, requested: requestedPython.has(key), requiredBy: why?.requiredBy ?? [], chains: why ? why.chains.map((chain) => chain.map((step) => step.name)) : [[dist.name]],
      saves: why?.saves ?? dist.size, exclusive: why?.exclusive.length ?? 1,
    });
  }
  return out;
}

// openBuild gives the images of a stored build: one, or each platform of an index in its order.
async function openBuild(store: BlobStore, digest: string): Promise<Array<{ image: Image; platform?: string }>> {
  const built = await storedBuild(store, digest as `sha256:${string}`);
  if (!isImageIndex(built)) return [{ image: built }];
  return (await built.children()).map((child) => ({ image: child.image, platform: formatPlatform(child.platform) }));
}

// projectName is the name in the pyproject.toml of kiln.yaml's python.project, which asks for the Python packages
// (the report resolves nothing, so the plan has no pins to say which installed distribution is the project).
async function projectName(entry: ImagePlan): Promise<string | undefined> {
  return entry.python ? (await readPyProject(join(entry.python.project, 'pyproject.toml')).catch(() => undefined))?.name : undefined;
}

/**
 * entryImage reads one image of an entry's last build: its layers, its packages with their chains, and its size tree;
 * `project` is the entry's Python project, requested by kiln.yaml.
 */
export async function entryImage(image: Image, entry: ImagePlan, platform?: string, project?: string): Promise<EntryImage> {
  const { summary, files, packages } = await inspectImage(image, { name: entry.name });
  const options = {
    architecture: summary.platform.architecture,
    ...(summary.platform.variant ? { variant: summary.platform.variant } : {}),
    requested: { debian: entry.base.kind === 'distro' ? [...entry.base.spec.packages] : [], python: project ? [project] : [] },
  };
  const graphs = [debianGraph(packages, options), pythonGraph(packages, options)];
  const reportPackages = packagesOf(graphs, summary, new Set(options.requested.debian), new Set(options.requested.python.map(normalizeName)));
  const names = new Map(reportPackages.map((pkg) => [pkg.key, pkg.name] as const));
  const { platform: p } = summary;
  return {
    digest: summary.digest,
    platform: platform ?? `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`,
    ...(summary.os ? { os: summary.os.prettyName ?? `${summary.os.id} ${summary.os.versionId}` } : {}),
    size: summary.size,
    unpackedSize: summary.unpackedSize,
    ...(summary.config.created ? { created: summary.config.created } : {}),
    layers: summary.layers.map((layer) => ({
      digest: layer.digest, size: layer.size, uncompressedSize: layer.uncompressedSize, files: layer.files,
      holds: layer.comment ?? layer.createdBy ?? 'base layer',
    })),
    tree: sizeTree(summary, files, fileOwners(files, packages), names),
    packages: reportPackages,
  };
}

/**
 * gatherReport plans the manifest (no network: nothing is resolved) and reads each entry's last build from the cache.
 * An entry never built, or whose build left the cache, is reported as not built; it does not fail the report.
 */
export async function gatherReport(options: GatherOptions): Promise<ReportData> {
  const { manifestFile, store } = options;
  const plan = await planBuild({ manifestFile, cwd: options.cwd, env: options.env, store, ...(options.overrides ? { overrides: options.overrides } : {}) });
  const entries: EntryReport[] = [];
  for (const entry of plan.images) {
    const key = { manifestFile: plan.manifestFile, name: entry.name };
    const [record, history, scan] = await Promise.all([findBuild(store, key), buildHistory(store, key), findScan(store, key)]);
    const images: EntryImage[] = [];
    let notBuilt: string | undefined;
    if (!record) {
      notBuilt = 'not built';
    } else {
      try {
        const project = await projectName(entry);
        for (const opened of await openBuild(store, record.digest)) images.push(await entryImage(opened.image, entry, opened.platform, project));
      } catch (error) {
        images.length = 0;
        notBuilt = `its last build (${record.digest}) cannot be read: ${errorMessage(error)}`;
      }
    }
    entries.push({
      name: entry.name,
      tags: entry.tags,
      immutableTags: entry.immutableTags,
      publish: entry.publish,
      outputs: entry.outputs,
      destinations: entry.destinations.map((d) => ({ registry: d.registry, references: d.references, ...(d.skipped ? { skipped: d.skipped } : {}) })),
      ...(notBuilt === undefined ? { digest: record!.digest } : { notBuilt }),
      images,
      history,
      ...(scan ? { scan } : {}),
    });
  }
  return { manifestFile: plan.manifestFile, generated: (options.now ?? new Date()).toISOString(), kilnVersion: options.kilnVersion ?? '', entries };
}
