// pinPython: an image's `python:` section + its target -> every distribution to install, pinned: the file chosen
// for the target, its sha256, the layer it lands in; path dependencies and the project built into wheels with a
// digest of their sources. The only place that reads the Python lock and selects wheels.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BlobStore } from '../cache/blob-store.js';
import { ConfigError, InputError, IntegrityError, ResolutionError, withContext } from '../errors.js';
import { COMMIT, mirrorWithCommit } from '../source/mirror.js';
import { syncedTree } from '../source/tree.js';
import type { PinnedPython, PinnedPythonPackage, PythonPlan, PythonTarget } from '../plan/types.js';
import { FileLocator } from './index/locate.js';
import { detectLock, readLock, selectPackages } from './lock/index.js';
import { normalizeName } from './names.js';
import { targetOf } from './target.js';
import { fileSha256 } from '../cache/file-digests.js';
import { localWheel } from './local-pin.js';
import { LAYER_DEPENDENCIES, LAYER_PATH_DEPENDENCIES, LAYER_PROJECT, splitLayer } from './layer-names.js';
import type { LockedFile, LockedPackage, PythonLock } from './types.js';
import { isSdistFilename, wheelFromSdist, type SdistContext, type SdistBuilder } from './sdist/build.js';
import { parseWheelFilename } from './wheel/filename.js';
import { selectWheel, TagRanking } from './wheel/tags.js';

/** PinContext is what pinning may use: the cache (built wheels are kept there by sha256) and credentials. */
export interface PinContext {
  store: BlobStore;
  env: NodeJS.ProcessEnv;
  /** epoch dates the members of wheels kiln builds. */
  epoch: number;
  /** log receives notes (an old lock format read as its closest known version, an sdist sent to the builder). */
  log?: (line: string) => void;
  /** sdistBuilder builds sdists that need compiling; given only when the entry allows it (python.build_sdists: builder). */
  sdistBuilder?: SdistBuilder;
}

/** pinPython resolves the packages of `python` for `target`. */
export async function pinPython(python: PythonPlan, target: PythonTarget, platform: { architecture: string; variant?: string }, context: PinContext): Promise<PinnedPython> {
  const environment = targetOf(target, platform);
  const lockPath = python.lock ?? (await detectLock(python.project)).path;
  const lock = await readLock(lockPath, context.log ? { log: context.log } : {});
  const selected = selectPackages(lock, environment, { groups: python.groups, extras: python.extras, allowUnhashed: python.allowUnhashed })
    .filter((pkg) => !isProject(pkg, lock, python));
  const split = python.split.map(normalizeName);
  for (const name of split) {
    if (!selected.some((pkg) => pkg.name === name)) throw new ConfigError(`python.split names ${name}, which is not among the packages installed from ${lock.path}`);
  }
  const findLinks = [...python.findLinks, ...lock.findLinks];
  const indexUrls = [...(python.indexUrl ? [python.indexUrl] : lock.indexes.map((index) => index.url)), ...python.extraIndexUrls];
  const ranking = new TagRanking(environment);
  let locator: FileLocator | undefined;
  const locate = (): FileLocator => (locator ??= new FileLocator(findLinks, indexUrls, context.env));

  const sdists: SdistContext = { store: context.store, locate, ranking, epoch: context.epoch, ...(context.sdistBuilder ? { builder: context.sdistBuilder } : {}), ...(context.log ? { log: context.log } : {}) };
  const remote = selected.filter((pkg) => pkg.source.kind === 'index' || pkg.source.kind === 'url');
  const local = selected.filter((pkg) => pkg.source.kind === 'path');
  const packages: PinnedPythonPackage[] = [];
  for (const pkg of remote.filter((candidate) => !split.includes(candidate.name))) packages.push(await remoteWheel(pkg, ranking, locate, LAYER_DEPENDENCIES, sdists));
  const git = selected.filter((pkg) => pkg.source.kind === 'git');
  if (git.length) {
    // Pinned by commit, they change as rarely as downloaded packages, so they share their layer.
    const work = await mkdtemp(join(tmpdir(), 'kiln-pin-'));
    try {
      for (const pkg of git) packages.push(await gitWheel(pkg, work, context));
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  for (const name of split) {
    const pkg = remote.find((candidate) => candidate.name === name);
    if (!pkg) throw new ConfigError(`python.split names ${name}, which is a local path dependency; only downloaded packages can be split`);
    packages.push(await remoteWheel(pkg, ranking, locate, splitLayer(name), sdists));
  }
  const work = await mkdtemp(join(tmpdir(), 'kiln-pin-'));
  try {
    for (const pkg of local) {
      if (pkg.source.kind !== 'path') continue;
      packages.push(await localWheel(pkg.name, pkg.source.path, 'path', LAYER_PATH_DEPENDENCIES, work, context));
    }
    if (python.installProject && existsSync(join(python.project, 'pyproject.toml'))) {
      packages.push(await localWheel(lock.project?.name ?? 'the project', python.project, 'project', LAYER_PROJECT, work, context));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { target, lock: { path: lock.path, sha256: await fileSha256(lock.path, 'the lock') }, findLinks, indexUrls, packages };
}

// The project itself is not a dependency: uv and pylock list it (as a path or virtual package).
function isProject(pkg: LockedPackage, lock: PythonLock, python: PythonPlan): boolean {
  return pkg.name === lock.project?.name || (pkg.source.kind === 'path' && pkg.source.path.replace(/\/+$/, '') === python.project.replace(/\/+$/, ''));
}

/**
 * gitWheel builds a git dependency at the commit its lock records: fetched through the shared git mirror, checked
 * out clean, built like a path dependency. A lock that names only a branch or tag is refused: it would move.
 */
async function gitWheel(pkg: LockedPackage, work: string, context: PinContext): Promise<PinnedPythonPackage> {
  if (pkg.source.kind !== 'git') throw new Error('gitWheel takes git packages');
  const { url, reference, subdirectory } = pkg.source;
  const commit = pkg.source.commit ?? (reference && COMMIT.test(reference) ? reference : undefined);
  if (!commit) {
    throw new InputError(`${pkg.name}: the lock names git ${url}${reference ? ` at "${reference}"` : ''} without a commit; pin it to a commit (pkg @ git+URL@<40-hex commit>, or lock again so the commit is recorded)`);
  }
  const what = `${pkg.name}: git ${url}@${commit.slice(0, 12)}`;
  const tree = await withContext(what, async () => {
    const mirror = await mirrorWithCommit(url, commit, { store: context.store, env: context.env });
    return syncedTree(context.store, mirror, commit, [], []);
  });
  const dir = subdirectory ? join(tree.dir, subdirectory) : tree.dir;
  if (!existsSync(join(dir, 'pyproject.toml'))) throw new InputError(`${what}: no pyproject.toml in ${subdirectory ? `subdirectory ${subdirectory}` : 'the repository root'}`);
  const built = await localWheel(pkg.name, dir, 'git', LAYER_DEPENDENCIES, work, context);
  return { ...built, git: { url, commit, ...(subdirectory ? { subdirectory } : {}) } };
}

async function remoteWheel(pkg: LockedPackage, ranking: TagRanking, locate: () => FileLocator, layer: string, sdists: SdistContext): Promise<PinnedPythonPackage> {
  const named = pkg.files.filter((file) => file.filename !== '');
  const kind = pkg.source.kind === 'url' ? 'url' : 'index';
  if (pkg.source.kind === 'url' && named.length === 0) {
    const filename = decodeURIComponent(new URL(pkg.source.url).pathname.split('/').pop() ?? '');
    return bestOrSdist(pkg, kind, [{ filename, url: pkg.source.url, hashes: pkg.files[0]?.hashes ?? {} }], ranking, layer, sdists);
  }
  // requirements.txt `--hash` only: the file is found among the sources' files of this version.
  // A requirements.txt pin without `--hash` (let through only with allow_unhashed): any wheel of the version.
  if (named.length === 0 && (pkg.files.length > 0 || pkg.source.kind === 'index')) return pinned(pkg, kind, await resolveHashOnly(pkg, locate, ranking, sdists.store), layer);
  return bestOrSdist(pkg, kind, named, ranking, layer, sdists);
}

// No wheel fits the target: a hashed sdist of the same version is built into one (natively, or in the builder).
async function bestOrSdist(pkg: LockedPackage, kind: 'index' | 'url', files: LockedFile[], ranking: TagRanking, layer: string, sdists: SdistContext): Promise<PinnedPythonPackage> {
  try {
    return pinned(pkg, kind, selectWheel(pkg.name, files, ranking), layer);
  } catch (error) {
    const sdist = files.find((file) => isSdistFilename(file.filename));
    if (!(error instanceof ResolutionError) || !sdist) throw error;
    const built = await wheelFromSdist(pkg, sdist, files.some((file) => file.filename.endsWith('.whl')), sdists);
    return { name: pkg.name, version: pkg.version, kind, filename: built.filename, sha256: built.sha256, size: built.size, layer, sdist: built.sdist };
  }
}

function pinned(pkg: LockedPackage, kind: 'index' | 'url', file: LockedFile, layer: string): PinnedPythonPackage {
  const sha256 = file.hashes.sha256?.toLowerCase();
  return {
    name: pkg.name,
    version: pkg.version,
    kind,
    filename: file.filename,
    ...(sha256 ? { sha256 } : {}),
    ...(file.size ? { size: file.size } : {}),
    ...(file.url ? { url: file.url } : {}),
    layer,
  };
}

// A requirements.txt pin with hashes only: pick the best wheel of that version that one of the hashes vouches for.
// The choice is remembered by the hashes and the target, so planning again needs no index.
async function resolveHashOnly(pkg: LockedPackage, locate: () => FileLocator, ranking: TagRanking, store: BlobStore): Promise<LockedFile> {
  const key = createHash('sha256').update(JSON.stringify({ v: 1, name: pkg.name, version: pkg.version, files: pkg.files.map((file) => file.hashes.sha256 ?? '').sort(), target: ranking.tags })).digest('hex');
  const hashed = pkg.files.some((file) => file.hashes.sha256);
  const known = hashed ? await store.getMemo<LockedFile>('python-hash-only', key) : undefined;
  if (known) return known;
  const chosen = await chooseHashOnly(pkg, locate(), ranking);
  if (hashed) await store.setMemo('python-hash-only', key, chosen);
  return chosen;
}

async function chooseHashOnly(pkg: LockedPackage, locator: FileLocator, ranking: TagRanking): Promise<LockedFile> {
  const allowed = new Set(pkg.files.map((file) => file.hashes.sha256?.toLowerCase()).filter(Boolean));
  // The first source with a wheel of the locked version answers; later indexes are not asked.
  const version = normalizeVersion(pkg.version);
  const ofVersion = (file: { filename: string }): boolean => file.filename.endsWith('.whl') && normalizeVersion(parseWheelFilename(file.filename).version) === version;
  const offered = (await locator.files(pkg.name, ofVersion)).filter(ofVersion);
  for (const file of offered) {
    if (!file.hashes.sha256 && file.url.startsWith('file:')) file.hashes.sha256 = await fileSha256(fileURLToPath(file.url), pkg.name);
  }
  if (allowed.size === 0) {
    // Unhashed (allow_unhashed): the best wheel of the version, known by its content only once fetched.
    const best = selectWheel(pkg.name, offered, ranking);
    return { filename: best.filename, url: best.url, hashes: {} };
  }
  const vouched = offered.filter((file) => allowed.has(file.hashes.sha256?.toLowerCase()));
  if (vouched.length === 0) throw new IntegrityError(`${pkg.name}: no file offered by the find-links folders or indexes matches a hash in the lock`);
  const chosen = selectWheel(pkg.name, vouched, ranking);
  return { filename: chosen.filename, url: chosen.url, hashes: { sha256: chosen.hashes.sha256! } };
}

// Enough of PEP 440 normalisation to compare a pin with a file name's version (1.0 == 1.0.0, case, leading v).
function normalizeVersion(version: string): string {
  return version.toLowerCase().replace(/^v/, '').replace(/(\.0)+(?=$|[^.\d])/, '');
}
