// resolvePlan: a plan of intent -> a pinned plan. Distro bases from kiln.lock (resolved when it has no entry),
// registry bases to the digest kiln.lock records, the Python target and every package to install, the app
// folder's digest. The only step that reads locks, indexes and tags; everything after it consumes the pins.
import { dirname } from 'node:path';
import type { BlobStore } from '../cache/blob-store.js';
import { lockPath, pinDistroBase } from '../debian/base-source.js';
import { readLock, writeLock, type LockedBase, type LockedSource, type LockFile } from '../debian/lock.js';
import { InputError, KilnError } from '../errors.js';
import { PLAN_FORMAT, type BuildPlan, type ImagePlan, type Pins, type PinnedBase, type PlatformPlan, type PythonTarget } from '../plan/types.js';
import { platformLockName } from '../plan/platforms.js';
import type { BasePython } from '../python/base-python.js';
import { appDigest } from './app-digest.js';

/** ResolveOptions: the cache, credentials, `locked` (refuse what kiln.lock lacks) and whether new pins are written to kiln.lock. */
export interface ResolveOptions {
  store: BlobStore;
  env: NodeJS.ProcessEnv;
  locked?: boolean;
  /** writeLock records newly resolved bases in kiln.lock (`kiln build`); `kiln plan` only reports them. */
  writeLock?: boolean;
  log?: (line: string) => void;
  /**
   * keepGoing leaves an entry that fails to resolve unpinned instead of failing the whole plan: its build then
   * resolves it again and fails alone, as `kiln build` promises for one broken entry of many.
   */
  keepGoing?: boolean;
}

/** Resolved is the pinned plan, the lock as it was, and what planning added to it. */
export interface Resolved {
  plan: BuildPlan;
  /** lock is kiln.lock as read before resolving. */
  lock: LockFile;
  /** added lists the entries kiln.lock lacked: distro bases by entry name, registry bases by tag, sources by name. */
  added: { bases: Record<string, LockedBase>; registry: Record<string, { digest: string }>; sources: Record<string, LockedSource> };
}

/** resolvePlan pins every entry of `plan`; a lock kiln cannot read fails here, before anything is built. */
export async function resolvePlan(plan: BuildPlan, options: ResolveOptions): Promise<Resolved> {
  const manifestDir = dirname(plan.manifestFile);
  const path = lockPath(manifestDir);
  const lock = await readLock(path);
  const added: Resolved['added'] = { bases: {}, registry: {}, sources: await newSourcePins(plan, lock) };
  // Later entries see what earlier ones resolved, so a matrix resolves a shared base once.
  const working: LockFile = { version: 1, bases: { ...lock.bases }, registry: { ...lock.registry }, sources: { ...lock.sources } };
  const images: ImagePlan[] = [];
  for (const entry of plan.images) {
    try {
      if (entry.platforms) {
        // Each platform is pinned on its own: its Debian packages, its wheels, its child of a multi-platform base.
        const platforms: PlatformPlan[] = [];
        for (const { platform } of entry.platforms) {
          const pinned = await resolveEntry({ ...entry, platform }, working, added, manifestDir, options, platformLockName(entry.name, platform));
          platforms.push({ platform, pinned });
        }
        const { pinned: _pinned, ...rest } = entry;
        images.push({ ...rest, platforms });
      } else {
        images.push({ ...entry, pinned: await resolveEntry(entry, working, added, manifestDir, options) });
      }
    } catch (error) {
      if (!options.keepGoing || !(error instanceof KilnError)) throw error;
      options.log?.(`${entry.name}: failed: ${error.oneLine()}`);
      images.push({ ...entry, unresolved: error.oneLine() });
    }
  }
  if (options.writeLock && (Object.keys(added.bases).length || Object.keys(added.registry).length || Object.keys(added.sources).length)) {
    // Re-read before writing: another kiln may have locked other entries meanwhile.
    const fresh = await readLock(path);
    await writeLock(path, { version: 1, bases: { ...fresh.bases, ...added.bases }, registry: { ...fresh.registry, ...added.registry }, sources: { ...fresh.sources, ...added.sources } });
  }
  return { plan: { format: PLAN_FORMAT, ...plan, images }, lock, added };
}

// Planning synced the sources (entries are expanded from their trees): what kiln.lock lacks or recorded otherwise is new.
async function newSourcePins(plan: BuildPlan, lock: LockFile): Promise<Record<string, LockedSource>> {
  const added: Record<string, LockedSource> = {};
  if (!plan.sources?.length) return added;
  const { lockedSource } = await import('../source/sync.js');
  for (const source of plan.sources ?? []) {
    const pin = lockedSource(source);
    if (JSON.stringify(lock.sources?.[source.name]) !== JSON.stringify(pin)) added[source.name] = pin;
  }
  return added;
}

async function resolveEntry(entry: ImagePlan, lock: LockFile, added: Resolved['added'], manifestDir: string, options: ResolveOptions, lockName = entry.name): Promise<Pins> {
  const locked = options.locked ?? false;
  let base: PinnedBase;
  let python: BasePython | undefined;
  let from: PythonTarget['from'] = 'layers';
  if (entry.base.kind === 'scratch') base = { kind: 'scratch' };
  else if (entry.base.kind === 'distro') {
    const pin = await pinDistroBase(lockName, entry.base.spec, entry.platform.architecture, { store: options.store, lock, locked, ...(options.log ? { log: options.log } : {}) });
    if (pin.resolved) lock.bases[lockName] = added.bases[lockName] = pin.resolved;
    base = pin.base;
    if (entry.python) {
      // The package list tells the Python and glibc: no base layer is fetched to plan.
      const { pythonFromPackages } = await import('../python/base-python.js');
      python = pythonFromPackages(pin.base.packages);
      from = 'packages';
      if (!python) throw new InputError(`${entry.name}: the base has no Python interpreter (no python3.X among its packages); add python3 to the base's packages`);
    }
  } else if (entry.base.place.startsWith('docker://')) {
    const { pinRegistryBase } = await import('./registry-base.js');
    const pin = await pinRegistryBase(entry.base.place, { lock, locked, env: options.env, platform: entry.platform, childOfDigest: lockName !== entry.name });
    if (pin.record) {
      lock.registry![pin.record[0]] = added.registry[pin.record[0]] = { digest: pin.record[1] };
      options.log?.(`${entry.name}: base ${pin.record[0]} pinned to ${pin.record[1]} (new in kiln.lock)`);
    }
    base = { kind: 'registry', reference: pin.reference, digest: pin.digest, ...(pin.imageDigest ? { imageDigest: pin.imageDigest } : {}) };
    if (entry.python) python = await probePlace(pin.reference, entry, options);
  } else {
    const { readImage } = await import('../places/index.js');
    const image = await readImage(entry.base.place, { store: options.store, platform: entry.platform, env: options.env });
    base = { kind: 'place', place: entry.base.place, digest: await image.digest() };
    if (entry.python) python = await (await import('../python/base-python.js')).probeBasePython(image, { store: options.store, what: entry.name });
  }
  const pins: Pins = { base };
  if (entry.python) {
    if (!python) throw new InputError(`${entry.name}: the base has no Python interpreter (scratch); use a base with python3 for a python section`);
    const target: PythonTarget = { ...python, from };
    const log = options.log ?? (() => undefined);
    const [{ pinPython }, { containerSdistBuilder }] = await Promise.all([import('../python/pin.js'), import('../backends/sdist-builder.js')]);
    // Assembled and loaded only if an sdist needs it: pure-Python sdists are built natively, without a daemon.
    const sdistBuilder = entry.python.buildSdists === 'builder'
      ? containerSdistBuilder(entry, target, { store: options.store, env: options.env, manifestDir, log })
      : undefined;
    pins.python = await pinPython(entry.python, target, entry.platform, { store: options.store, env: options.env, epoch: entry.epoch, log, ...(sdistBuilder ? { sdistBuilder } : {}) });
  }
  if (entry.app) pins.app = { ...entry.app, digest: await appDigest(entry.app, options.store) };
  return pins;
}

// A registry base's Python is read from its layers: pulled once into the cache, memoised by diffIds.
async function probePlace(reference: string, entry: ImagePlan, options: ResolveOptions): Promise<BasePython> {
  const [{ readImage }, { probeBasePython }] = await Promise.all([import('../places/index.js'), import('../python/base-python.js')]);
  const image = await readImage(reference, { store: options.store, platform: entry.platform, env: options.env });
  return probeBasePython(image, { store: options.store, what: entry.name });
}
