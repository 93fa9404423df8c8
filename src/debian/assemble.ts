// assembleDebianBase: resolved, downloaded .deb files -> base image layers, no maintainer script run.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../cache/blob-store.js';
import { IntegrityError, InputError } from '../errors.js';
import { buildLayer, cachedLayer, type BuiltLayer } from '../layer/build.js';
import { sha256 } from '../oci/digest.js';
import { imageFromParts, type Image } from '../oci/image.js';
import type { HistoryEntry, ImageConfig } from '../oci/spec.js';
import type { TarEntry } from '../tar/entry.js';
import { readDeb, type DebContents } from './deb.js';
import { effectsEnv, maintainerEffects, type OsRelease } from './effects.js';
import { defaultLayerGroups, type LayerGroup } from './layer-groups.js';
import { mergePackages, orderHardlinks, type OwnedEntry } from './merge.js';
import { alternativeEntries, parseAlternatives } from './alternatives.js';
import { mergedUsrPath, mergedUsrSkeleton } from './merged-usr.js';
import { dpkgDatabase, dpkgStatusD, filterMd5sums, type InstalledPackage } from './status.js';
import { isStdlibPackage, stdlibZip } from './stdlib-zip.js';
import { isBuildOnly } from './presets.js';
import { addReports, DEFAULT_SLIM, slimEntries, type SlimPolicy, type SlimReport } from './slim.js';
import type { ResolvedPackage } from './types.js';
import { SLIM_MEMO } from '../plan/slim-rules.js';
import { rfc3339 } from '../oci/timestamp.js';
import { limiter } from '../limit.js';
import { threadCount } from '../threads.js';
import { plural, type Progress, type ProgressTask } from '../progress.js';

/** DebInput is one resolved package and where its downloaded .deb is. */
export interface DebInput {
  pkg: ResolvedPackage;
  debPath: string;
}

/** AssembleOptions shape a Debian base; everything here is part of the layers' cache keys. */
export interface AssembleOptions {
  store: BlobStore;
  epoch: number;
  /** variant: `distroless` records packages in status.d; `slim` writes dpkg's own status database. */
  variant: 'distroless' | 'slim';
  /** layering: one layer, or one per group of packages plus a small top layer of kiln's own files. */
  layering: 'single' | 'grouped';
  /** groups by package name for `grouped`; packages no group names go in a last `rest` group. */
  groups?: LayerGroup[];
  /** stack names, in order, the layers (kiln.yaml `layers:`) that packages with a `layer` go in, above the base. */
  stack?: string[];
  os: OsRelease;
  architecture: string;
  /** slim: the file rules applied to every package; defaults to every rule (DEFAULT_SLIM). */
  slim?: SlimPolicy;
  /** concurrency of .deb reads (decompression) and of layer builds; defaults to KILN_THREADS or the cores. */
  concurrency?: number;
  /** progress is told the .deb bytes extracted and each layer's bytes compressed. */
  progress?: Progress;
}

/** AssembledLayer is one built layer and the history entry that explains it. */
export interface AssembledLayer {
  built: BuiltLayer;
  history: HistoryEntry;
}

/** AssembledBase is what a base image is made from: layers bottom first and the config they imply. */
export interface AssembledBase {
  layers: AssembledLayer[];
  config: Pick<ImageConfig, 'architecture' | 'os' | 'config'>;
  architecture: string;
  os: 'linux';
}

/** ASSEMBLY_FORMAT changes whenever kiln's way of turning packages into files changes, invalidating caches. */
export const ASSEMBLY_FORMAT = 'kiln-debian-assembly-3';


interface Plan {
  name: string;
  packages: DebInput[];
  /** top: the layer also holds the merged-usr skeleton, kiln's effects and the package records. */
  top: boolean;
  /** stacked: a layer above the base holding its packages and their records (the base's top layer unchanged). */
  stacked?: boolean;
  cacheKey: string;
}

function packageKey(input: DebInput): string[] {
  const { pkg } = input;
  return [pkg.name, pkg.version, pkg.architecture, pkg.sha256];
}

function planLayers(inputs: readonly DebInput[], options: AssembleOptions): Plan[] {
  const key = (kind: string, packages: readonly DebInput[], extra: unknown): string =>
    sha256(JSON.stringify({ format: ASSEMBLY_FORMAT, kind, variant: options.variant, slim: options.slim ?? DEFAULT_SLIM, packages: packages.map(packageKey), extra }));
  const everything = { os: options.os, architecture: options.architecture, all: inputs.map(packageKey) };
  if (options.layering === 'single') {
    return [{ name: 'debian', packages: [...inputs], top: true, cacheKey: key('single', inputs, everything) }];
  }
  const byName = new Map(inputs.map((input) => [input.pkg.name, input]));
  const groups = options.groups ?? defaultLayerGroups(inputs.map((input) => input.pkg.name));
  const placed = new Set<string>();
  const plans: Plan[] = [];
  for (const group of groups) {
    const packages = group.packages.map((name) => {
      const input = byName.get(name);
      if (!input) throw new InputError(`layer group "${group.name}" names package ${name}, which is not in the package set`);
      if (placed.has(name)) throw new InputError(`package ${name} is in two layer groups`);
      placed.add(name);
      return input;
    });
    if (packages.length) plans.push({ name: group.name, packages, top: false, cacheKey: key('group', packages, null) });
  }
  const rest = inputs.filter((input) => !placed.has(input.pkg.name));
  if (rest.length) plans.push({ name: 'rest', packages: rest, top: false, cacheKey: key('group', rest, null) });
  plans.push({ name: 'kiln', packages: [], top: true, cacheKey: key('top', [], everything) });
  return plans;
}

/**
 * planStacked gives one layer per name in `options.stack`, holding the packages locked in it. Its key covers
 * every package below it too: a slim layer rewrites dpkg's status file, and files it overlays depend on them.
 */
function planStacked(all: readonly DebInput[], base: readonly DebInput[], options: AssembleOptions): Plan[] {
  const stack = options.stack ?? [];
  for (const input of all) {
    if (input.pkg.layer !== undefined && !stack.includes(input.pkg.layer)) {
      throw new InputError(`package ${input.pkg.name} is locked in base layer "${input.pkg.layer}", which kiln.yaml does not name; run kiln lock`);
    }
  }
  const plans: Plan[] = [];
  const below = base.map(packageKey);
  for (const name of stack) {
    const packages = all.filter((input) => input.pkg.layer === name);
    if (packages.length === 0) throw new InputError(`base layer "${name}" has no packages in kiln.lock; run kiln lock`);
    const cacheKey = sha256(JSON.stringify({
      format: ASSEMBLY_FORMAT, kind: 'stacked', variant: options.variant, slim: options.slim ?? DEFAULT_SLIM, os: options.os, architecture: options.architecture,
      below: [...below], packages: packages.map(packageKey),
    }));
    plans.push({ name, packages, top: false, stacked: true, cacheKey });
    below.push(...packages.map(packageKey));
  }
  return plans;
}

/**
 * stackedEntries are what a stacked layer adds besides its packages' files: their package records (with the
 * records of everything below for slim's single status file), their update-alternatives links, and merged-/usr
 * links for top-level directories only they ship. Maintainer-script effects (effects.ts) are the base's job.
 */
function stackedEntries(
  plan: Plan, below: readonly DebInput[], own: Map<string, OwnedEntry>, reads: Map<string, ReadPackage>, options: AssembleOptions,
): TarEntry[] {
  const mine = plan.packages.map((input) => reads.get(input.pkg.name)!);
  const files = new Map([...own].map(([path, owned]) => [path, owned.entry]));
  const records = options.variant === 'slim'
    ? dpkgDatabase(below.map((input) => installedRecord(reads.get(input.pkg.name)!)))
    : dpkgStatusD(mine.map(installedRecord));
  const mergedDirs = new Set(mine.flatMap((read) => [...read.deb.mergedDirs]));
  return [
    ...(mergedDirs.size ? mergedUsrSkeleton(mergedDirs) : []),
    ...alternativeEntries(mine.flatMap((read) => (read.deb.postinst ? parseAlternatives(read.deb.postinst, read.input.pkg.name) : [])), files),
    ...records,
  ];
}

interface ReadPackage {
  input: DebInput;
  deb: DebContents;
  /** entries after the slim rules (python-stdlib-zip last, by zipStdlib). */
  entries: TarEntry[];
  removed: SlimReport;
}

async function readVerified(input: DebInput, slim: SlimPolicy, spillTo: string): Promise<ReadPackage> {
  const { pkg } = input;
  const data = await readFile(input.debPath).catch((error: unknown) => {
    throw new InputError(`package ${pkg.name}: cannot read ${input.debPath}: ${(error as Error).message}`, { cause: error });
  });
  const actual = createHash('sha256').update(data).digest('hex');
  if (actual !== pkg.sha256.toLowerCase() || data.length !== pkg.size) {
    throw new IntegrityError(`package ${pkg.name}: ${input.debPath} has sha256 ${actual} (${data.length} bytes), the index says ${pkg.sha256} (${pkg.size} bytes)`);
  }
  const deb = await readDeb(data, pkg.name, { spillTo });
  return { input, deb, ...slimEntries(deb.entries, slim, isBuildOnly(pkg.name)) };
}

/** readAll reads the packages `concurrency` at a time, each one's data.tar spilled to a file in `spillDir`. */
async function readAll(inputs: readonly DebInput[], concurrency: number, slim: SlimPolicy, spillDir: string, task?: ProgressTask): Promise<Map<string, ReadPackage>> {
  const results = new Map<string, ReadPackage>();
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < inputs.length && !failure) {
      const index = next++;
      const input = inputs[index]!;
      try {
        results.set(input.pkg.name, await readVerified(input, slim, join(spillDir, `${index}.tar`)));
        task?.add(input.pkg.size);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  // Every read in flight finishes before the first failure is thrown: the caller then removes the spill folder,
  // which a read still writing into it would make fail, hiding the real error.
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  if (failure) throw failure.error;
  task?.end();
  return results;
}

/**
 * zipStdlib applies the python-stdlib-zip rule to every plan whose packages were all read: the moved modules leave
 * their packages' entries (so md5sums stop listing them) and the archive is returned per plan name.
 */
function zipStdlib(plans: readonly Plan[], reads: Map<string, ReadPackage>, options: AssembleOptions): Map<string, TarEntry> {
  const zips = new Map<string, TarEntry>();
  if (!(options.slim ?? DEFAULT_SLIM).rules.includes('python-stdlib-zip')) return zips;
  for (const plan of plans) {
    const own = plan.packages.map((input) => reads.get(input.pkg.name));
    if (!own.length || own.some((read) => read === undefined) || !plan.packages.some((input) => isStdlibPackage(input.pkg.name))) continue;
    const zipped = stdlibZip(own.map((read) => ({ name: read!.input.pkg.name, entries: read!.entries })), options.epoch);
    if (!zipped) continue;
    for (const read of own) {
      const moved = zipped.moved.get(read!.input.pkg.name);
      if (!moved?.length) continue;
      const gone = new Set(moved);
      read!.entries = read!.entries.filter((entry) => !gone.has(entry));
      read!.removed = addReports([read!.removed, { 'python-stdlib-zip': { files: moved.length, bytes: moved.reduce((sum, entry) => sum + (entry.size ?? 0), 0) } }]);
    }
    zips.set(plan.name, zipped.zip);
  }
  return zips;
}

function installedRecord(read: ReadPackage): InstalledPackage {
  const present = new Set(read.entries.map((entry) => entry.path));
  const md5sums = read.deb.md5sums === undefined ? undefined : filterMd5sums(read.deb.md5sums, (path) => present.has(mergedUsrPath(path)));
  return { name: read.input.pkg.name, fields: read.deb.fields, md5sums };
}

function topEntries(all: readonly ReadPackage[], tree: Map<string, OwnedEntry>, options: AssembleOptions): TarEntry[] {
  const mergedDirs = new Set(all.flatMap((read) => [...read.deb.mergedDirs]));
  const files = new Map([...tree].map(([path, owned]) => [path, owned.entry]));
  const packages = new Set(all.map((read) => read.input.pkg.name));
  const records = all.map(installedRecord);
  return [
    ...mergedUsrSkeleton(mergedDirs),
    ...maintainerEffects({ files, packages, os: options.os }),
    ...alternativeEntries(all.flatMap((read) => (read.deb.postinst ? parseAlternatives(read.deb.postinst, read.input.pkg.name) : [])), files),
    ...(options.variant === 'slim' ? dpkgDatabase(records) : dpkgStatusD(records)),
  ];
}

function treeOf(reads: readonly ReadPackage[]): Map<string, OwnedEntry> {
  return mergePackages(reads.map((read) => ({ name: read.input.pkg.name, fields: read.deb.fields, entries: read.entries })));
}

/** withOverrides lays kiln's own entries over package entries at the same paths (kiln's win). */
function withOverrides(base: Map<string, OwnedEntry>, overrides: readonly TarEntry[]): TarEntry[] {
  const byPath = new Map([...base].map(([path, owned]) => [path, owned.entry]));
  for (const entry of overrides) byPath.set(entry.path, entry);
  return [...byPath.values()];
}

function checkAcrossGroups(plans: readonly Plan[], full: Map<string, OwnedEntry>, reads: Map<string, ReadPackage>): void {
  // Layers stack in plan order, so a package in a lower layer cannot win an overlap against a higher one.
  const groupOf = new Map(plans.flatMap((plan, index) => plan.packages.map((input) => [input.pkg.name, index] as const)));
  for (const [index, plan] of plans.entries()) {
    for (const input of plan.packages) {
      for (const entry of reads.get(input.pkg.name)?.entries ?? []) {
        const owner = full.get(entry.path)?.owner;
        if (entry.type === 'directory' || owner === undefined || owner === input.pkg.name) continue;
        if ((groupOf.get(owner) ?? index) < index) {
          throw new InputError(`packages ${owner} and ${input.pkg.name} overlap at "/${entry.path}" across layer groups; put them in one group`);
        }
      }
    }
  }
}

function history(plan: Plan, epoch: number): HistoryEntry {
  const list = plan.packages.map((input) => `${input.pkg.name}=${input.pkg.version}`).join(' ');
  const what = plan.top && !plan.packages.length ? 'merged-/usr links, maintainer-script effects, package records' : `debian packages: ${list}`;
  return { created: rfc3339(epoch), created_by: `kiln ${what}`, comment: `kiln debian layer "${plan.name}"` };
}

/**
 * assembleDebianBase turns packages into layers. Same inputs and options give the same digests; on a warm
 * cache (every layer's key memoised) no .deb is even opened.
 */
export async function assembleDebianBase(all: readonly DebInput[], options: AssembleOptions): Promise<AssembledBase> {
  const names = new Set<string>();
  for (const input of all) {
    if (names.has(input.pkg.name)) throw new InputError(`package ${input.pkg.name} is listed twice`);
    names.add(input.pkg.name);
  }
  // The base is assembled exactly as it would be without stacked layers, so it shares every layer with that image.
  const inputs = all.filter((input) => input.pkg.layer === undefined);
  const plans = [...planLayers(inputs, options), ...planStacked(all, inputs, options)];
  const layerOptions = (plan: Plan) => ({ store: options.store, epoch: options.epoch, cacheKey: plan.cacheKey });
  const built: Array<BuiltLayer | undefined> = await Promise.all(plans.map((plan) => cachedLayer(layerOptions(plan))));
  const missing = plans.filter((_, index) => !built[index]);
  if (missing.length) {
    const needAll = missing.some((plan) => plan.top);
    // A slim image keeps one dpkg status file, so a stacked layer rewrites it with every package's record.
    const needEverything = options.variant === 'slim' && missing.some((plan) => plan.stacked);
    const wanted = needEverything ? all : needAll ? [...inputs, ...missing.filter((plan) => plan.stacked).flatMap((plan) => plan.packages)] : missing.flatMap((plan) => plan.packages);
    const concurrency = options.concurrency ?? threadCount();
    // Decompressed data.tar files wait on disk, not in memory, until their layer is written.
    const spillDir = await options.store.tempPath();
    try {
      await mkdir(spillDir, { recursive: true });
      const extracting = options.progress?.task('extract', plural(wanted.length, '.deb'), wanted.reduce((sum, input) => sum + input.pkg.size, 0));
      const reads = await readAll(wanted, concurrency, options.slim ?? DEFAULT_SLIM, spillDir, extracting);
      const zips = zipStdlib(plans, reads, options);
      const full = needAll ? treeOf(inputs.map((input) => reads.get(input.pkg.name)!)) : undefined;
      if (full && options.layering === 'grouped') checkAcrossGroups(plans.filter((plan) => !plan.stacked), full, reads);
      // Layers are independent: build them side by side (each gzips on the shared thread pool); built[] keeps the order.
      const slot = limiter(Math.min(2, concurrency));
      const builds = await Promise.allSettled(plans.map((plan, index) => built[index] ? undefined : slot(async () => {
        const own = treeOf(plan.packages.map((input) => reads.get(input.pkg.name)!));
        const zip = zips.get(plan.name);
        let entries: TarEntry[];
        if (plan.stacked) {
          const below = options.variant === 'slim' ? all.filter((input) => plans.findIndex((p) => p.packages.includes(input)) <= index) : [];
          entries = withOverrides(own, stackedEntries(plan, below, own, reads, options));
        } else {
          entries = plan.top
            ? withOverrides(own, [...(zip ? [zip] : []), ...topEntries(inputs.map((input) => reads.get(input.pkg.name)!), full!, options)])
            : [...own.values()].map((owned) => owned.entry).concat(zip ? [zip] : []);
        }
        const layer = await buildLayer(orderHardlinks(entries), { ...layerOptions(plan), ...(options.progress ? { progress: options.progress, what: `layer ${plan.name}` } : {}) });
        // What the rules removed, found again by diffId when the build is reported (a warm build opens no .deb).
        const removed = addReports(plan.packages.map((input) => reads.get(input.pkg.name)!.removed));
        if (Object.keys(removed).length) await options.store.setMemo(SLIM_MEMO, layer.diffId.replace(':', '-'), removed);
        built[index] = layer;
      })));
      // All settled first (they read the spill files), then the first failure.
      const failed = builds.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      // Cleanup never hides the error that got here; a leftover folder carries the pid and goes with the next sweep.
      await rm(spillDir, { recursive: true, force: true }).catch(() => undefined);
    }
  }
  const env = effectsEnv(names);
  return {
    layers: plans.map((plan, index) => ({ built: built[index]!, history: history(plan, options.epoch) })),
    config: { architecture: options.architecture, os: 'linux', config: { Env: env } },
    architecture: options.architecture,
    os: 'linux',
  };
}

/** debianBaseImage assembles the packages and returns them as an Image, ready to build on. */
export async function debianBaseImage(inputs: readonly DebInput[], options: AssembleOptions): Promise<Image> {
  const base = await assembleDebianBase(inputs, options);
  const config: ImageConfig = {
    created: rfc3339(options.epoch),
    ...base.config,
    rootfs: { type: 'layers', diff_ids: base.layers.map((layer) => layer.built.diffId) },
    history: base.layers.map((layer) => layer.history),
  };
  return imageFromParts({ config, layers: base.layers.map((layer) => layer.built.layer) });
}
