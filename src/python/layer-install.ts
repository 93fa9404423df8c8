// The cold half of pythonLayers (image-layers.ts): the wheels of the layers the cache lacks, fetched, built from
// local sources or sdists, and installed into new layers. Kept apart so that a build whose Python layers are all
// cached loads none of it.
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BlobStore } from '../cache/blob-store.js';
import type { ImagePlan, PinnedPython, PythonPlan } from '../plan/types.js';
import { InputError, IntegrityError } from '../errors.js';
import { buildLayer, type BuiltLayer } from '../layer/build.js';
import { buildLocalWheel } from './local-wheel/wheel.js';
import type { DownloadRequest } from './index/download.js';
import { namingDependency } from './local-pin.js';
import { targetOf } from './target.js';
import type { TargetEnvironment } from './types.js';
import { installWheel } from './wheel/install.js';
import { WheelSource } from './wheel/source.js';
import { TarDestination } from './wheel/tar-destination.js';
import { entryProgress, plural, type Progress } from '../progress.js';
import type { LayerGroup, PythonLayerContext, WheelItem } from './layer-types.js';

const DOWNLOAD_CONCURRENCY = 4;

/** MissingLayers is what the layers the cache lacks are made from. */
export interface MissingLayers {
  python: PythonPlan;
  pinned: PinnedPython;
  target: TargetEnvironment;
  /** work is a scratch folder the caller removes. */
  work: string;
  /** keyOf is a layer's cache key; an unhashed wheel's layer is keyed again once its content is known. */
  keyOf: (group: LayerGroup) => string;
}

/** buildMissingLayers fetches or builds the wheels of each missing layer and installs them into it. */
export async function buildMissingLayers(plan: ImagePlan, todo: ReadonlyArray<{ group: LayerGroup; key: string; unhashed: boolean }>, missing: MissingLayers, context: PythonLayerContext): Promise<Map<LayerGroup, BuiltLayer>> {
  const { python, pinned, target, work } = missing;
  const wanted = todo.flatMap(({ group }) => group.wheels);
  await localWheels(plan, wanted.filter((wheel) => wheel.pkg.source), work, context);
  await sdistWheels(plan, wanted.filter((wheel) => wheel.pkg.sdist), pinned, work, context);
  await fetchWheels(plan, wanted.filter((wheel) => !wheel.pkg.source && !wheel.pkg.sdist), python, pinned, work, context);
  const built = new Map<LayerGroup, BuiltLayer>();
  for (const { group, key: pinnedKey, unhashed } of todo) {
    // Unhashed wheels are known by their content only after fetching.
    const key = unhashed ? missing.keyOf(group) : pinnedKey;
    context.log(`${plan.name}: installing ${group.comment} (${group.wheels.length} wheel${group.wheels.length === 1 ? '' : 's'})`);
    const progress = context.progress ? entryProgress(context.progress, plan.name) : undefined;
    built.set(group, await installLayer(group, python, target, key, plan.epoch, context.store, progress));
  }
  return built;
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
      // Index, download and sdist code loads only when a wheel must come from there (not for a local edit).
      const [{ FileLocator }, { wheelFromSdist }, { TagRanking }] = await Promise.all([import('./index/locate.js'), import('./sdist/build.js'), import('./wheel/tags.js')]);
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

// Downloads every wheel a missing layer needs (bounded parallel, checked against the pinned sha256) and gives
// each a path named like the wheel, which is how WheelSource learns its name and tags.
async function fetchWheels(plan: ImagePlan, wheels: WheelItem[], python: PythonPlan, pinned: PinnedPython, work: string, context: PythonLayerContext): Promise<void> {
  if (wheels.length === 0) return;
  const [{ FileLocator }, { downloadAll }] = await Promise.all([import('./index/locate.js'), import('./index/download.js')]);
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
