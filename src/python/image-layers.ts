// pythonLayers: an entry's pinned Python packages -> venv layers on top of its base: the venv skeleton,
// third-party wheels (one layer, plus one per `split` package), local path dependencies, the project.
// It installs what the plan pinned and never reads the lock or selects wheels itself.
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BlobStore } from '../cache/blob-store.js';
import type { ImagePlan, PinnedPython, PinnedPythonPackage, PythonPlan } from '../plan/types.js';
import { InputError, IntegrityError } from '../errors.js';
import { sha256 } from '../oci/digest.js';
import type { Addendum } from '../oci/mutate.js';
import { buildLayer, cachedLayer, type BuiltLayer } from '../layer/build.js';
import { buildLocalWheel } from './local-wheel/wheel.js';
import { downloadAll, type DownloadRequest } from './index/download.js';
import { FileLocator } from './index/locate.js';
import { wheelFromSdist } from './sdist/build.js';
import { TagRanking } from './wheel/tags.js';
import { LAYER_PATH_DEPENDENCIES, LAYER_PROJECT, namingDependency, targetOf } from './pin.js';
import type { TargetEnvironment } from './types.js';
import { installWheel } from './wheel/install.js';
import { WheelSource } from './wheel/source.js';
import { TarDestination } from './wheel/tar-destination.js';
import { venvEntries } from './wheel/venv.js';
import { entryProgress, plural, type Progress, type ProgressSink } from '../progress.js';

/** PythonLayerContext is what building the Python layers uses: the blob cache, environment (credentials) and log. */
export interface PythonLayerContext {
  store: BlobStore;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** progress receives the wheels' fetch, extract (install) and compress events under the entry's name. */
  progress?: ProgressSink;
}

// Bumped whenever the way a layer is made from the same wheels changes.
const LAYER_FORMAT = 1;
const DOWNLOAD_CONCURRENCY = 4;

/** WheelItem is one pinned wheel and, once fetched or built, the path named like it. */
interface WheelItem {
  pkg: PinnedPythonPackage;
  /** sha256 is the pinned one, or for an unhashed file its content's once fetched. */
  sha256: string;
  path?: string;
}

/** LayerGroup is one layer's worth of wheels: consecutive pinned packages with the same `layer`. */
interface LayerGroup {
  comment: string;
  createdBy: string;
  wheels: WheelItem[];
}

/** pythonEnv returns the Env entries that activate the venv: VIRTUAL_ENV and PATH with `<prefix>/bin` first. */
export function pythonEnv(prefix: string, baseEnv: readonly string[]): string[] {
  const path = baseEnv.find((entry) => entry.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  const bin = posix.join(prefix, 'bin');
  return [`VIRTUAL_ENV=${prefix}`, `PATH=${[bin, ...path.split(':').filter((dir) => dir && dir !== bin)].join(':')}`];
}

/** pythonLayers builds the layers of the entry's pinned Python packages; an image without a python section gets none. */
export async function pythonLayers(plan: ImagePlan, context: PythonLayerContext): Promise<Addendum[]> {
  const python = plan.python;
  if (!python) return [];
  const pinned = plan.pinned?.python;
  if (!pinned) throw new InputError(`${plan.name}: the plan has no pinned Python packages; resolve the plan first`);
  const target = targetOf(pinned.target, plan.platform);
  context.log(`${plan.name}: Python ${pinned.target.pythonFullVersion} (${pinned.target.interpreter}, ${target.libc.kind} ${target.libc.version.join('.')})`);
  context.log(`${plan.name}: ${pinned.packages.length} pinned packages from ${pinned.lock.path}`);

  const work = await mkdtemp(join(tmpdir(), 'kiln-python-'));
  try {
    const groups = layerGroups(pinned);
    const additions: Addendum[] = [await venvLayer(plan, python, pinned, context)];
    const todo: Array<{ group: LayerGroup; key: string; unhashed: boolean }> = [];
    const built = new Map<LayerGroup, BuiltLayer>();
    for (const group of groups) {
      // Keyed by what the plan pins, so a warm build neither fetches nor unpacks a wheel.
      const key = layerKey(python, target, group);
      // An unhashed wheel may change behind its URL, so its layer is never taken from the cache.
      const unhashed = group.wheels.some((wheel) => !wheel.pkg.sha256);
      const cached = unhashed ? undefined : await cachedLayer({ store: context.store, epoch: plan.epoch, cacheKey: key });
      if (cached) built.set(group, cached);
      else todo.push({ group, key, unhashed });
    }
    const wanted = todo.flatMap(({ group }) => group.wheels);
    await localWheels(plan, wanted.filter((wheel) => wheel.pkg.source), work, context);
    await sdistWheels(plan, wanted.filter((wheel) => wheel.pkg.sdist), pinned, work, context);
    await fetchWheels(plan, wanted.filter((wheel) => !wheel.pkg.source && !wheel.pkg.sdist), python, pinned, work, context);
    for (const { group, key: pinnedKey, unhashed } of todo) {
      // Unhashed wheels are known by their content only after fetching.
      const key = unhashed ? layerKey(python, target, group) : pinnedKey;
      context.log(`${plan.name}: installing ${group.comment} (${group.wheels.length} wheel${group.wheels.length === 1 ? '' : 's'})`);
      const progress = context.progress ? entryProgress(context.progress, plan.name) : undefined;
      built.set(group, await installLayer(group, python, target, key, plan.epoch, context.store, progress));
    }
    for (const group of groups) {
      additions.push({ layer: built.get(group)!.layer, history: { created: plan.created, created_by: group.createdBy, comment: group.comment } });
    }
    return additions;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function venvLayer(plan: ImagePlan, python: PythonPlan, pinned: PinnedPython, context: PythonLayerContext): Promise<Addendum> {
  const base = pinned.target;
  const entries = venvEntries({
    prefix: python.prefix,
    pythonFullVersion: base.pythonFullVersion,
    baseInterpreter: base.interpreter,
    baseExecutable: base.executable,
    includeSystemSitePackages: base.distroPackages,
  });
  const built = await buildLayer(entries, { store: context.store, epoch: plan.epoch });
  return { layer: built.layer, history: { created: plan.created, created_by: `kiln: python venv ${python.prefix} -> ${base.interpreter}`, comment: 'python venv' } };
}

function createdBy(layer: string, packages: PinnedPythonPackage[]): string {
  if (layer === LAYER_PATH_DEPENDENCIES) return `kiln: ${layer} ${packages.map((pkg) => pkg.name).join(' ')}`;
  if (layer === LAYER_PROJECT) return `kiln: ${layer} ${packages.map((pkg) => pkg.name).join(' ')}`;
  return `kiln: ${layer} ${packages.map((pkg) => `${pkg.name}==${pkg.version}`).join(' ')}`;
}

function layerGroups(pinned: PinnedPython): LayerGroup[] {
  const groups: LayerGroup[] = [];
  for (const pkg of pinned.packages) {
    let group = groups.at(-1);
    if (!group || group.comment !== pkg.layer) groups.push(group = { comment: pkg.layer, createdBy: '', wheels: [] });
    group.wheels.push({ pkg, sha256: pkg.sha256 ?? `unhashed:${pkg.name}==${pkg.version}:${pkg.filename}` });
  }
  for (const group of groups) group.createdBy = createdBy(group.comment, group.wheels.map((wheel) => wheel.pkg));
  return groups;
}

// Wheels kiln built while planning are in the cache by sha256; another machine builds them again, byte for byte.
async function localWheels(plan: ImagePlan, wheels: WheelItem[], work: string, context: PythonLayerContext): Promise<void> {
  for (const [i, wheel] of wheels.entries()) {
    const { pkg } = wheel;
    const digest = `sha256:${pkg.sha256}` as const;
    const dir = join(work, 'local', String(i));
    await mkdir(dir, { recursive: true });
    if (pkg.source!.dir.endsWith('.whl')) {
      wheel.path = pkg.source!.dir;
      continue;
    }
    if (!(await context.store.has(digest))) {
      const built = await namingDependency(pkg.kind === 'project' || pkg.kind === 'git' ? pkg.kind : 'path', pkg.name, () => buildLocalWheel(pkg.source!.dir, dir, { epoch: plan.epoch }));
      const info = await context.store.write(createReadStream(built.path));
      if (info.digest !== digest || built.filename !== pkg.filename) {
        throw new IntegrityError(`${plan.name}: ${pkg.name} built from ${pkg.source!.dir} is ${built.filename} ${info.digest}, the plan pins ${pkg.filename} ${digest}`);
      }
    }
    wheel.path = join(dir, pkg.filename);
    await symlink(context.store.path(digest), wheel.path).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
      await rm(wheel.path!, { force: true });
      await symlink(context.store.path(digest), wheel.path!);
    });
  }
}

// Wheels built from sdists while planning are in the cache by sha256. A native one is built again from its sdist
// (byte for byte, or refused); a builder's wheel is not rebuilt behind the plan's back.
async function sdistWheels(plan: ImagePlan, wheels: WheelItem[], pinned: PinnedPython, work: string, context: PythonLayerContext): Promise<void> {
  for (const [i, wheel] of wheels.entries()) {
    const { pkg } = wheel;
    const sdist = pkg.sdist!;
    const digest = `sha256:${pkg.sha256}` as const;
    if (!(await context.store.has(digest))) {
      if (sdist.build === 'builder') {
        throw new InputError(`${plan.name}: ${pkg.name} ${pkg.version} was built from ${sdist.filename} in the builder while planning, and that wheel is not in this cache; plan again on this machine`);
      }
      const locator = new FileLocator(pinned.findLinks, pinned.indexUrls, context.env);
      const built = await wheelFromSdist(pkg, { filename: sdist.filename, hashes: { sha256: sdist.sha256 }, ...(sdist.url ? { url: sdist.url } : {}) }, false, {
        store: context.store, locate: () => locator, ranking: new TagRanking(targetOf(pinned.target, plan.platform)), epoch: plan.epoch, log: context.log,
      });
      if (built.sha256 !== pkg.sha256 || built.filename !== pkg.filename) {
        throw new IntegrityError(`${plan.name}: ${pkg.name} built from ${sdist.filename} is ${built.filename} sha256:${built.sha256}, the plan pins ${pkg.filename} ${digest}`);
      }
    }
    await mkdir(join(work, 'sdist', String(i)), { recursive: true });
    wheel.path = join(work, 'sdist', String(i), pkg.filename);
    await symlink(context.store.path(digest), wheel.path);
  }
}

function layerKey(python: PythonPlan, target: TargetEnvironment, group: LayerGroup): string {
  return sha256(JSON.stringify({
    kind: 'kiln-python-layer',
    format: LAYER_FORMAT,
    prefix: python.prefix,
    python: target.pythonVersion,
    wheels: group.wheels.map((wheel) => [wheel.pkg.filename, wheel.sha256]),
  })).slice(7);
}

// Downloads every wheel a missing layer needs (bounded parallel, checked against the pinned sha256) and gives
// each a path named like the wheel, which is how WheelSource learns its name and tags.
async function fetchWheels(plan: ImagePlan, wheels: WheelItem[], python: PythonPlan, pinned: PinnedPython, work: string, context: PythonLayerContext): Promise<void> {
  if (wheels.length === 0) return;
  const locator = new FileLocator(pinned.findLinks, pinned.indexUrls, context.env);
  const requests: DownloadRequest[] = [];
  for (const { pkg } of wheels) {
    const digest = pkg.sha256 ? `sha256:${pkg.sha256}` as const : undefined;
    // A wheel already in the cache is not looked up: downloadAll takes it from the cache by its hash.
    const url = pkg.url ?? (digest && (await context.store.has(digest)) ? pathToFileURL(context.store.path(digest)).toString() : await locator.url(pkg.name, pkg.filename));
    requests.push({ packageName: pkg.name, filename: pkg.filename, url, hashes: pkg.sha256 ? { sha256: pkg.sha256 } : {}, ...(pkg.size ? { size: pkg.size } : {}) });
  }
  context.log(`${plan.name}: fetching ${requests.length} wheel${requests.length === 1 ? '' : 's'}`);
  let fetched;
  // A wheel whose size the lock does not state counts once it is here.
  const fetching = context.progress ? entryProgress(context.progress, plan.name).task('fetch', plural(requests.length, 'wheel'), requests.reduce((sum, request) => sum + (request.size ?? 0), 0)) : undefined;
  try {
    fetched = await downloadAll(requests, {
      store: context.store,
      concurrency: DOWNLOAD_CONCURRENCY,
      allowUnhashed: python.allowUnhashed,
      headersFor: (url) => locator.headersFor(url),
      onProgress: (progress) => {
        const request = requests.find((r) => r.filename === progress.file);
        if (request?.size) fetching?.add(request.size);
        else fetching?.grow(progress.size);
        // Without a progress sink the log still says how far the fetching got.
        if (!fetching && !progressQuiet(progress.done, progress.total)) context.log(`${plan.name}: fetched ${progress.done}/${progress.total} ${progress.file}`);
      },
    });
    fetching?.end();
  } catch (error) {
    if (error instanceof IntegrityError) throw new IntegrityError(`${plan.name}: ${error.message}`, { cause: error });
    throw error;
  }
  for (const [i, wheel] of wheels.entries()) {
    const link = join(work, 'fetched', String(i), wheel.pkg.filename);
    await mkdir(join(work, 'fetched', String(i)), { recursive: true });
    await symlink(fetched[i]!.path, link);
    wheel.path = link;
    wheel.sha256 = fetched[i]!.digest.slice('sha256:'.length);
  }
}

function progressQuiet(done: number, total: number): boolean {
  return total > 20 && done % 10 !== 0 && done !== total;
}

async function installLayer(group: LayerGroup, python: PythonPlan, target: TargetEnvironment, cacheKey: string, epoch: number, store: BlobStore, progress?: Progress): Promise<BuiltLayer> {
  const destination = new TarDestination(group.comment);
  const sources: WheelSource[] = [];
  // Installing a wheel is extracting it: counted by wheel file bytes, one wheel at a time.
  const sizes = progress ? await Promise.all(group.wheels.map(async (wheel) => (await stat(wheel.path!)).size)) : [];
  const extracting = progress?.task('extract', `${group.comment} (${plural(group.wheels.length, 'wheel')})`, sizes.reduce((sum, size) => sum + size, 0));
  try {
    for (const [i, wheel] of group.wheels.entries()) {
      const source = await WheelSource.open(wheel.path!);
      sources.push(source);
      await installWheel(source, destination, { pythonVersion: target.pythonVersion, prefix: python.prefix });
      extracting?.add(sizes[i] ?? 0);
    }
    extracting?.end();
    return await buildLayer(destination.entries, { store, epoch, cacheKey, ...(progress ? { progress, what: `layer ${group.comment}` } : {}) });
  } finally {
    await Promise.all(sources.map((source) => source.close()));
  }
}
