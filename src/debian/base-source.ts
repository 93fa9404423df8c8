// The distro base source: kiln.yaml's `base: {distro, release, packages}` -> pinned packages (pinDistroBase, when
// planning) -> verified .debs -> layers. Resolution reads live indexes only when kiln.lock has no entry for the image.
import { join } from 'node:path';
import type { DistroBaseSpec } from '../config/schema.js';
import type { BlobStore } from '../cache/blob-store.js';
import type { BaseContext, ResolvedBase } from '../apply/base-context.js';
import type { ImagePlan, PinnedBase, PinnedDebPackage } from '../plan/types.js';
import { platformLockName } from '../plan/platforms.js';
import type { DebInput } from './assemble.js';
import { OS_RELEASES } from './os-releases.js';
import type { BaseRequest, LockedBase, LockFile } from './lock.js';
import { slimPolicy } from './slim.js';
import { limiter } from '../limit.js';
import { InputError } from '../errors.js';
import type { ResolvedPackage } from './types.js';
import { entryProgress, plural } from '../progress.js';

/** lockPath is where kiln.lock lives: beside kiln.yaml. */
export function lockPath(manifestDir: string): string {
  return join(manifestDir, 'kiln.lock');
}

/** baseRequest turns a manifest's distro base into the resolver's request for one architecture. */
export function baseRequest(spec: DistroBaseSpec, architecture: string): BaseRequest {
  return {
    distro: spec.distro,
    release: spec.release,
    architecture,
    packages: spec.packages,
    ...(spec.components ? { components: spec.components } : {}),
    ...(spec.layers && Object.keys(spec.layers).length ? { layers: spec.layers } : {}),
    variant: spec.variant,
    exclude: spec.exclude,
    recommends: spec.recommends,
    closure: spec.closure,
    mirrors: { ...(spec.mirror ? { mirror: spec.mirror } : {}), ...(spec.security_mirror ? { securityMirror: spec.security_mirror } : {}) },
    ...(spec.keyring ? { keyring: spec.keyring } : {}),
  };
}

// Entries of one build run in parallel: one resolution per distinct request, one kiln.lock writer at a time.
const resolving = new Map<string, Promise<LockedBase>>();
let lockWrites: Promise<unknown> = Promise.resolve();

// Entries of one run that ask for the same packages share one resolution (per cache), started by the first.
function resolveOnce(name: string, request: BaseRequest, hash: string, options: { store: BlobStore; log?: (line: string) => void }): Promise<LockedBase> {
  const key = `${options.store.root}\0${hash}`;
  let pending = resolving.get(key);
  if (!pending) {
    options.log?.(`${name}: resolving ${request.distro} ${request.release} packages (no entry in kiln.lock)`);
    pending = import('./lock.js').then(({ resolveBase }) => resolveBase(request, { store: options.store }));
    resolving.set(key, pending);
    pending.catch(() => resolving.delete(key));
  }
  return pending;
}

/** lockedPackages returns the image's pinned packages, resolving and recording them when kiln.lock has none. */
export async function lockedPackages(name: string, request: BaseRequest, context: BaseContext, lock?: LockFile): Promise<ResolvedPackage[]> {
  // kiln.lock's reader (and its schema) loads only when the plan did not pin the packages.
  const { packagesFromLock, readLock, requestHash, writeLock } = await import('./lock.js');
  const path = lockPath(context.manifestDir);
  const current = lock ?? (await readLock(path));
  let locked = current.bases[name];
  if (!locked) {
    // A matrix gives many entries the same base: an entry already locked for the same request is reused.
    const hash = requestHash(request);
    const twin = Object.values(current.bases).find((base) => base.request === hash);
    locked = twin ?? await resolveOnce(name, request, hash, context);
    const entry = locked;
    // Re-read before writing, one writer at a time: other entries of the same build add theirs meanwhile.
    const write = lockWrites.then(async () => {
      const fresh = await readLock(path);
      await writeLock(path, { ...fresh, bases: { ...fresh.bases, [name]: entry } });
    });
    lockWrites = write.catch(() => undefined);
    await write;
  }
  return packagesFromLock(locked, request, name);
}

/** DistroPin is a distro base pinned for a plan, and the lock entry to record when it was resolved just now. */
export interface DistroPin {
  base: Extract<PinnedBase, { kind: 'distro' }>;
  /** resolved is set when kiln.lock had no entry: what to record under the entry's name. */
  resolved?: LockedBase;
}

/** PinDistroOptions: the cache, the lock as read, and `locked` to refuse resolving what kiln.lock lacks. */
export interface PinDistroOptions {
  store: BlobStore;
  lock: LockFile;
  locked: boolean;
  log?: (line: string) => void;
}

/** pinDistroBase pins every package of an entry's distro base from kiln.lock, resolving from the indexes when it has no entry. */
export async function pinDistroBase(name: string, spec: DistroBaseSpec, architecture: string, options: PinDistroOptions): Promise<DistroPin> {
  const { packagesFromLock, requestHash } = await import('./lock.js');
  const request = baseRequest(spec, architecture);
  let locked = options.lock.bases[name];
  let resolved: LockedBase | undefined;
  if (!locked) {
    // A matrix gives many entries the same base: an entry already locked for the same request is reused.
    const hash = requestHash(request);
    const twin = Object.values(options.lock.bases).find((base) => base.request === hash);
    if (twin) locked = twin;
    else {
      if (options.locked) throw new InputError(`kiln.lock has no entry for base "${name}" (${spec.distro} ${spec.release}) and --locked forbids resolving it; run kiln lock`);
      locked = await resolveOnce(name, request, hash, options);
    }
    resolved = locked;
  }
  const packages = packagesFromLock(locked, request, name).map(({ control: _control, ...pkg }) => pkg as PinnedDebPackage);
  const omitted = locked.omitted?.length ? { omitted: locked.omitted } : {};
  return { base: { kind: 'distro', lockName: name, codename: locked.codename, packages, slim: slimPolicy(spec.slim), ...omitted }, ...(resolved ? { resolved } : {}) };
}

/** debPackages turns pinned packages back into what assembly fetches: the control holds only the pinned fields. */
export function debPackages(packages: readonly PinnedDebPackage[]): ResolvedPackage[] {
  return packages.map((p) => {
    const control: Array<[string, string]> = [['Package', p.name], ['Version', p.version], ['Architecture', p.architecture]];
    if (p.source !== undefined) control.push(['Source', p.source]);
    control.push(['Filename', p.filename], ['Size', String(p.size)], ['SHA256', p.sha256]);
    return { ...p, control };
  });
}

/** distroBase builds the base image of a plan entry whose base is a distro release, from its pinned packages. */
export async function distroBase(spec: DistroBaseSpec, plan: ImagePlan, context: BaseContext): Promise<ResolvedBase> {
  const pinned = plan.pinned?.base;
  // A Dockerfile backend's builder base ("<entry>.builder") is not in the entry's plan: it is locked on its own.
  const packages = pinned?.kind === 'distro' && (pinned.lockName === plan.name || pinned.lockName === platformLockName(plan.name, plan.platform))
    ? debPackages(pinned.packages)
    : await lockedPackages(plan.name, baseRequest(spec, plan.platform.architecture), context);
  // Stacked layers sit on the base as it is without them: an entry without them (a CPU twin) shares its blobs,
  // so that base is assembled first, once, and the full one then finds its layers cached.
  const below = packages.filter((p) => p.layer === undefined);
  if (below.length < packages.length) await sharedAssembly({ ...spec, layers: undefined }, plan, context, below);
  return sharedAssembly(spec, plan, context, packages);
}

// Matrix entries building at once often want the same base: assemble it once per process.
function sharedAssembly(spec: DistroBaseSpec, plan: ImagePlan, context: BaseContext, packages: ResolvedPackage[]): Promise<ResolvedBase> {
  const key = JSON.stringify([context.store.root, spec.distro, spec.release, spec.variant, spec.layering, slimPolicy(spec.slim), plan.epoch, plan.platform.architecture, packages.map((p) => [p.sha256, p.layer ?? null])]);
  let assembling = assembled.get(key);
  if (!assembling) {
    assembling = assembleDistroBase(spec, plan, context, packages);
    assembled.set(key, assembling);
    assembling.catch(() => assembled.delete(key));
  } else context.log?.(`${plan.name}: base already assembled in this run (another entry, or an earlier build under --watch)`);
  return assembling;
}

const assembled = new Map<string, Promise<ResolvedBase>>();

async function assembleDistroBase(spec: DistroBaseSpec, plan: ImagePlan, context: BaseContext, packages: ResolvedPackage[]): Promise<ResolvedBase> {
  // Loaded only to assemble: pinning from kiln.lock, or a build whose image is cached, needs neither.
  const [{ debianBaseImage }, { fetchDeb }] = await Promise.all([import('./assemble.js'), import('./mirror.js')]);
  context.log?.(`${plan.name}: fetching ${packages.length} packages`);
  const slot = limiter(4);
  const progress = context.progress ? entryProgress(context.progress, plan.name) : undefined;
  // Counted a whole .deb at a time: most are small, and four download at once.
  const fetching = progress?.task('fetch', plural(packages.length, '.deb'), packages.reduce((sum, pkg) => sum + pkg.size, 0));
  const inputs: DebInput[] = await Promise.all(packages.map((pkg) => slot(async () => {
    await fetchDeb(pkg, context.store);
    fetching?.add(pkg.size);
    return { pkg, debPath: context.store.path(`sha256:${pkg.sha256}`) };
  })));
  fetching?.end();
  context.log?.(`${plan.name}: assembling ${spec.distro} ${spec.release} (${spec.variant})`);
  const os = OS_RELEASES[`${spec.distro}/${spec.release}`] ?? { id: spec.distro, versionId: '', codename: spec.release, prettyName: `${spec.distro} ${spec.release}` };
  const image = await debianBaseImage(inputs, {
    store: context.store,
    epoch: plan.epoch,
    variant: spec.variant,
    layering: spec.layering,
    slim: slimPolicy(spec.slim),
    stack: Object.keys(spec.layers ?? {}),
    os,
    architecture: plan.platform.architecture,
    ...(progress ? { progress } : {}),
  });
  return { image, description: `${spec.distro}/${spec.release} ${spec.variant} (${packages.length} packages)`, annotations: {} };
}
