// pythonLayers: an image's `python:` section -> venv layers on top of its base: the venv skeleton,
// third-party wheels (one layer, plus one per `split` package), local path dependencies, the project.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BlobStore } from '../cache/blob-store.js';
import type { ImagePlan, PythonPlan } from '../build/plan.js';
import { ConfigError, InputError, IntegrityError, UsageError } from '../errors.js';
import { sha256 } from '../oci/digest.js';
import type { Image } from '../oci/image.js';
import type { Addendum } from '../oci/mutate.js';
import { buildLayer, cachedLayer, type BuiltLayer } from '../layer/build.js';
import { probeBasePython, type BasePython } from './base-python.js';
import { buildLocalWheel } from './build/wheel.js';
import { downloadAll, type DownloadRequest } from './index/download.js';
import { FileLocator } from './index/locate.js';
import { detectLock, readLock, selectPackages } from './lock/index.js';
import { normalizeName } from './names.js';
import { targetEnvironment } from './target.js';
import type { LockedFile, LockedPackage, PythonLock, TargetEnvironment } from './types.js';
import { installWheel } from './wheel/install.js';
import { WheelSource } from './wheel/source.js';
import { selectWheel, TagRanking } from './wheel/tags.js';
import { TarDestination } from './wheel/tar-destination.js';
import { parseWheelFilename } from './wheel/filename.js';
import { venvEntries } from './wheel/venv.js';

/** PythonLayerContext is what building the Python layers uses: the blob cache, environment (credentials) and log. */
export interface PythonLayerContext {
  store: BlobStore;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

// Bumped whenever the way a layer is made from the same wheels changes.
const LAYER_FORMAT = 1;
const DOWNLOAD_CONCURRENCY = 4;

/** WheelItem is one wheel to install: known by its sha256 before it is fetched or built. */
interface WheelItem {
  packageName: string;
  filename: string;
  sha256: string;
  /** request fetches it; absent for wheels kiln built (path is set then). */
  request?: DownloadRequest;
  path?: string;
}

/** LayerGroup is one layer's worth of wheels. */
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

/** pythonLayers builds the layers of `plan.python` for `baseImage`; an image without a python section gets none. */
export async function pythonLayers(plan: ImagePlan, baseImage: Image, context: PythonLayerContext): Promise<Addendum[]> {
  const python = plan.python;
  if (!python) return [];
  const base = await probeBasePython(baseImage, { store: context.store, what: plan.name });
  const target = targetEnvironment({
    architecture: plan.platform.architecture,
    ...(plan.platform.variant ? { variant: plan.platform.variant } : {}),
    pythonFullVersion: base.pythonFullVersion,
    libc: base.libc,
  });
  context.log(`${plan.name}: Python ${base.pythonFullVersion} (${base.interpreter}, ${target.libc.kind} ${target.libc.version.join('.')})`);
  const lock = python.lock ? await readLock(python.lock) : await readLock((await detectLock(python.project)).path);
  const selected = selectPackages(lock, target, { groups: python.groups, extras: python.extras, allowUnhashed: python.allowUnhashed })
    .filter((pkg) => !isProject(pkg, lock, python));
  context.log(`${plan.name}: ${selected.length} locked packages from ${lock.path}`);

  const work = await mkdtemp(join(tmpdir(), 'kiln-python-'));
  try {
    const groups = await layerGroups(python, lock, selected, target, work, plan.epoch);
    const additions: Addendum[] = [await venvLayer(plan, python, base, context)];
    const todo: Array<{ group: LayerGroup; key: string; unhashed: boolean }> = [];
    const built = new Map<LayerGroup, BuiltLayer>();
    for (const group of groups) {
      // Keyed by what the lock vouches for, so a warm build neither fetches nor unpacks a wheel.
      const key = layerKey(python, target, group);
      // An unhashed wheel may change behind its URL, so its layer is never taken from the cache.
      const unhashed = group.wheels.some((wheel) => wheel.sha256.startsWith('unhashed:'));
      const cached = unhashed ? undefined : await cachedLayer({ store: context.store, epoch: plan.epoch, cacheKey: key });
      if (cached) built.set(group, cached);
      else todo.push({ group, key, unhashed });
    }
    await fetchWheels(todo.flatMap(({ group }) => group.wheels), python, lock, target, work, context, plan.name);
    for (const { group, key: lockKey, unhashed } of todo) {
      // Unhashed wheels are known by their content only after fetching.
      const key = unhashed ? layerKey(python, target, group) : lockKey;
      context.log(`${plan.name}: installing ${group.comment} (${group.wheels.length} wheel${group.wheels.length === 1 ? '' : 's'})`);
      built.set(group, await installLayer(group, python, target, key, plan.epoch, context.store));
    }
    for (const group of groups) {
      additions.push({ layer: built.get(group)!.layer, history: { created: plan.created, created_by: group.createdBy, comment: group.comment } });
    }
    return additions;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

// The project itself is not a dependency: uv and pylock list it (as a path or virtual package).
function isProject(pkg: LockedPackage, lock: PythonLock, python: PythonPlan): boolean {
  return pkg.name === lock.project?.name || (pkg.source.kind === 'path' && pkg.source.path.replace(/\/+$/, '') === python.project.replace(/\/+$/, ''));
}

async function venvLayer(plan: ImagePlan, python: PythonPlan, base: BasePython, context: PythonLayerContext): Promise<Addendum> {
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

async function layerGroups(python: PythonPlan, lock: PythonLock, selected: LockedPackage[], target: TargetEnvironment, work: string, epoch: number): Promise<LayerGroup[]> {
  const split = python.split.map(normalizeName);
  for (const name of split) {
    if (!selected.some((pkg) => pkg.name === name)) throw new ConfigError(`python.split names ${name}, which is not among the packages installed from ${lock.path}`);
  }
  const ranking = new TagRanking(target);
  const remote = selected.filter((pkg) => pkg.source.kind === 'index' || pkg.source.kind === 'url');
  const local = selected.filter((pkg) => pkg.source.kind === 'path');
  const git = selected.find((pkg) => pkg.source.kind === 'git');
  if (git) throw new UsageError(`${git.name}: git dependencies are not supported; build a wheel and lock it, or use a path dependency`);

  const wheelOf = (pkg: LockedPackage): WheelItem => remoteWheel(pkg, ranking);
  const groups: LayerGroup[] = [];
  const deps = remote.filter((pkg) => !split.includes(pkg.name));
  if (deps.length) groups.push({ comment: 'python dependencies', createdBy: `kiln: python dependencies ${deps.map((pkg) => `${pkg.name}==${pkg.version}`).join(' ')}`, wheels: deps.map(wheelOf) });
  for (const name of split) {
    const pkg = remote.find((candidate) => candidate.name === name);
    if (!pkg) throw new ConfigError(`python.split names ${name}, which is a local path dependency; only downloaded packages can be split`);
    groups.push({ comment: `python package ${pkg.name}`, createdBy: `kiln: python package ${pkg.name}==${pkg.version}`, wheels: [wheelOf(pkg)] });
  }
  if (local.length) {
    const wheels: WheelItem[] = [];
    for (const pkg of local) wheels.push(await localWheel(pkg.name, pathOf(pkg), work, epoch));
    groups.push({ comment: 'python path dependencies', createdBy: `kiln: python path dependencies ${local.map((pkg) => pkg.name).join(' ')}`, wheels });
  }
  if (python.installProject && existsSync(join(python.project, 'pyproject.toml'))) {
    const wheel = await localWheel(lock.project?.name ?? 'the project', python.project, work, epoch);
    groups.push({ comment: 'python project', createdBy: `kiln: python project ${wheel.packageName}`, wheels: [wheel] });
  }
  return groups;
}

function pathOf(pkg: LockedPackage): string {
  if (pkg.source.kind !== 'path') throw new Error('unreachable');
  return pkg.source.path;
}

// A path dependency is a project folder (built into a wheel here) or a wheel file.
async function localWheel(name: string, path: string, work: string, epoch: number): Promise<WheelItem> {
  if (path.endsWith('.whl')) return { packageName: name, filename: posix.basename(path), sha256: await fileSha256(path, name), path };
  const built = await buildLocalWheel(path, work, { epoch });
  return { packageName: normalizeName(built.name), filename: built.filename, sha256: await fileSha256(built.path, name), path: built.path };
}

async function fileSha256(path: string, what: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (error) {
    throw new InputError(`${what}: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return hash.digest('hex');
}

function remoteWheel(pkg: LockedPackage, ranking: TagRanking): WheelItem {
  const named = pkg.files.filter((file) => file.filename !== '');
  if (pkg.source.kind === 'url' && named.length === 0) {
    const filename = decodeURIComponent(new URL(pkg.source.url).pathname.split('/').pop() ?? '');
    return wheelItem(pkg, selectWheel(pkg.name, [{ filename, url: pkg.source.url, hashes: pkg.files[0]?.hashes ?? {} }], ranking));
  }
  if (named.length === 0 && pkg.files.length > 0) {
    // requirements.txt `--hash` only: the file is found at fetch time among the sources' files of this version.
    return { packageName: pkg.name, filename: '', sha256: hashSetKey(pkg.files) };
  }
  if (pkg.files.length === 0 && pkg.source.kind === 'index') {
    // requirements.txt pin without `--hash` (selectPackages let it through only with allow_unhashed):
    // any file of this version will do, found at fetch time.
    return { packageName: pkg.name, filename: '', sha256: `unhashed:${pkg.name}==${pkg.version}` };
  }
  return wheelItem(pkg, selectWheel(pkg.name, named, ranking));
}

function wheelItem(pkg: LockedPackage, file: LockedFile): WheelItem {
  const digest = file.hashes.sha256 ?? '';
  return {
    packageName: pkg.name,
    filename: file.filename,
    sha256: digest ? digest.toLowerCase() : `unhashed:${pkg.name}==${pkg.version}:${file.filename}`,
    request: { packageName: pkg.name, filename: file.filename, url: file.url ?? '', hashes: file.hashes, ...(file.size ? { size: file.size } : {}) },
  };
}

function hashSetKey(files: readonly LockedFile[]): string {
  return `any-of:${files.map((file) => file.hashes.sha256 ?? '').sort().join(',')}`;
}

function layerKey(python: PythonPlan, target: TargetEnvironment, group: LayerGroup): string {
  return sha256(JSON.stringify({
    kind: 'kiln-python-layer',
    format: LAYER_FORMAT,
    prefix: python.prefix,
    python: target.pythonVersion,
    wheels: group.wheels.map((wheel) => [wheel.filename, wheel.sha256]),
  })).slice(7);
}

// Downloads every wheel a missing layer needs (bounded parallel, hash-checked) and gives each a path
// named like the wheel, which is how WheelSource learns its name and tags.
async function fetchWheels(wheels: WheelItem[], python: PythonPlan, lock: PythonLock, target: TargetEnvironment, work: string, context: PythonLayerContext, what: string): Promise<void> {
  const remote = wheels.filter((wheel) => !wheel.path);
  if (remote.length === 0) return;
  const indexUrls = python.indexUrl ? [python.indexUrl] : lock.indexes.map((index) => index.url);
  const locator = new FileLocator([...python.findLinks, ...lock.findLinks], [...indexUrls, ...python.extraIndexUrls], context.env);
  const ranking = new TagRanking(target);
  const locked = new Map(lock.packages.map((pkg) => [pkg.name, pkg] as const));
  const requests: DownloadRequest[] = [];
  for (const wheel of remote) {
    if (wheel.filename === '') await resolveVersionOnly(wheel, locked.get(wheel.packageName)!, locator, ranking);
    const request = wheel.request!;
    const digest = request.hashes.sha256 ? `sha256:${request.hashes.sha256.toLowerCase()}` as const : undefined;
    // A wheel already in the cache is not looked up: downloadAll takes it from the cache by its hash.
    if (!request.url) request.url = digest && (await context.store.has(digest)) ? pathToFileURL(context.store.path(digest)).toString() : await locator.url(wheel.packageName, wheel.filename);
    requests.push(request);
  }
  context.log(`${what}: fetching ${requests.length} wheel${requests.length === 1 ? '' : 's'}`);
  const fetched = await downloadAll(requests, {
    store: context.store,
    concurrency: DOWNLOAD_CONCURRENCY,
    allowUnhashed: python.allowUnhashed,
    headersFor: (url) => locator.headersFor(url),
    onProgress: (progress) => { if (!progressQuiet(progress.done, progress.total)) context.log(`${what}: fetched ${progress.done}/${progress.total} ${progress.file}`); },
  });
  for (const [i, wheel] of remote.entries()) {
    const link = join(work, 'fetched', String(i), wheel.filename);
    await mkdir(join(work, 'fetched', String(i)), { recursive: true });
    await symlink(fetched[i]!.path, link);
    wheel.path = link;
    wheel.sha256 = fetched[i]!.digest.slice('sha256:'.length);
  }
}

function progressQuiet(done: number, total: number): boolean {
  return total > 20 && done % 10 !== 0 && done !== total;
}

// A requirements.txt pin names a version only: pick the best wheel of that version that one of the pin's
// hashes vouches for, or (a pin without hashes, allowed unhashed) the best wheel of that version.
async function resolveVersionOnly(wheel: WheelItem, pkg: LockedPackage, locator: FileLocator, ranking: TagRanking): Promise<void> {
  const allowed = new Set(pkg.files.map((file) => file.hashes.sha256?.toLowerCase()).filter(Boolean));
  // The first source with a wheel of the locked version answers; later indexes are not asked.
  const version = normalizeVersion(pkg.version);
  const offered = (await locator.files(wheel.packageName, (file) => file.filename.endsWith('.whl') && normalizeVersion(parseWheelFilename(file.filename).version) === version))
    .filter((file) => file.filename.endsWith('.whl') && normalizeVersion(parseWheelFilename(file.filename).version) === version);
  for (const file of offered) {
    if (!file.hashes.sha256 && file.url.startsWith('file:')) file.hashes.sha256 = await fileSha256(fileURLToPath(file.url), wheel.packageName);
  }
  if (allowed.size === 0) {
    const chosen = selectWheel(wheel.packageName, offered, ranking);
    wheel.filename = chosen.filename;
    // A hash the index publishes still guards the download itself.
    wheel.request = { packageName: wheel.packageName, filename: chosen.filename, url: chosen.url, hashes: chosen.hashes.sha256 ? { sha256: chosen.hashes.sha256 } : {} };
    return;
  }
  const vouched = offered.filter((file) => file.filename.endsWith('.whl') && allowed.has(file.hashes.sha256?.toLowerCase()));
  if (vouched.length === 0) throw new IntegrityError(`${wheel.packageName}: no file offered by the find-links folders or indexes matches a hash in the lock`);
  const chosen = selectWheel(wheel.packageName, vouched, ranking);
  wheel.filename = chosen.filename;
  wheel.request = { packageName: wheel.packageName, filename: chosen.filename, url: chosen.url, hashes: { sha256: chosen.hashes.sha256! } };
}

// Enough of PEP 440 normalisation to compare a pin with a file name's version (1.0 == 1.0.0, case, leading v).
function normalizeVersion(version: string): string {
  return version.toLowerCase().replace(/^v/, '').replace(/(\.0)+(?=$|[^.\d])/, '');
}

async function installLayer(group: LayerGroup, python: PythonPlan, target: TargetEnvironment, cacheKey: string, epoch: number, store: BlobStore): Promise<BuiltLayer> {
  const destination = new TarDestination(group.comment);
  const sources: WheelSource[] = [];
  try {
    for (const wheel of group.wheels) {
      const source = await WheelSource.open(wheel.path!);
      sources.push(source);
      await installWheel(source, destination, { pythonVersion: target.pythonVersion, prefix: python.prefix });
    }
    return await buildLayer(destination.entries, { store, epoch, cacheKey });
  } finally {
    await Promise.all(sources.map((source) => source.close()));
  }
}
