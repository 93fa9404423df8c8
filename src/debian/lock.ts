// kiln.lock: every Debian/Ubuntu base pinned to exact package files, so a rebuild next month gives the same bytes.
// resolveBase is the only step that reads live indexes; packagesFromLock replays a lock without them.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { parse, stringify } from 'smol-toml';
import { z } from 'zod';
import type { BlobStore } from '../cache/blob-store.js';
import { errorMessage, InputError, IntegrityError, OutputError } from '../errors.js';
import type { HttpOptions } from './mirror.js';
import type { PackageRecord } from './packages-index.js';
import { defaultComponents, findPreset, omitFromRuntime, presetSources, presetSuites, variantPackages, type Closure, type MirrorOverrides, type Preset, type Variant } from './presets.js';
import type { FetchedRelease } from './release.js';
import type { OmittedPackage } from './resolver.js';
import type { Distro, ResolvedPackage } from './types.js';

/** BaseRequest is what a user asks for: a distro release, an architecture and package names. */
export interface BaseRequest {
  distro: Distro;
  release: string;
  architecture: string;
  packages: string[];
  /** components are read in every suite (default: the preset's, see defaultComponents). */
  components?: string[];
  /** layers stack named package sets on the base, in order; each adds what the ones below lack. */
  layers?: Record<string, string[]>;
  /** variant defaults to distroless. */
  variant?: Variant;
  /** exclude adds to the variant's exclusions. */
  exclude?: string[];
  recommends?: boolean;
  /** closure defaults to runtime: build tools (compilers, binutils, -dev packages) are left out unless requested. */
  closure?: Closure;
  mirrors?: MirrorOverrides;
  /** keyring overrides the preset's keyring path (not part of the request hash: paths differ between machines). */
  keyring?: string;
}

/** LockedRepository records which signed Release a resolution was made from. */
export interface LockedRepository {
  mirror: string;
  suite: string;
  /** sha256 of the InRelease file as fetched. */
  inRelease: string;
  date: string;
}

/** LockedPackage pins one .deb by path and hash: a ResolvedPackage without its control stanza. */
export type LockedPackage = Omit<ResolvedPackage, 'control'>;

/** LockedBase is one base in kiln.lock. */
export interface LockedBase {
  distro: Distro;
  release: string;
  codename: string;
  architecture: string;
  variant: Variant;
  /** components are the archive areas every suite was read with. */
  components: string[];
  /** request is the hash of the request this base was resolved for. */
  request: string;
  repositories: LockedRepository[];
  packages: LockedPackage[];
  /** omitted lists what a runtime closure left out, each with the dependency chain that wanted it. */
  omitted?: OmittedPackage[];
}

/** LockedRegistryBase pins a registry base's tag to the manifest (or index) digest it named when locked. */
export interface LockedRegistryBase {
  digest: string;
}

/** LockedSource pins an upstream source (kiln.yaml `sources:`) to a commit and its patch series to content. */
export interface LockedSource {
  git: string;
  /** ref is the tag, branch or commit the pin was resolved from: a kiln.yaml naming another ref is re-resolved. */
  ref: string;
  commit: string;
  /** patches are the series as applied, in order, each with its sha256. */
  patches: Array<{ name: string; sha256: string }>;
}

/** LockFile is the whole kiln.lock: distro bases keyed by entry name, registry bases by `host/repo:tag`, sources by name. */
export interface LockFile {
  version: 1;
  bases: Record<string, LockedBase>;
  registry?: Record<string, LockedRegistryBase>;
  sources?: Record<string, LockedSource>;
}

/** ResolveBaseOptions supplies the cache and network settings. */
export interface ResolveBaseOptions extends HttpOptions {
  store: BlobStore;
  now?: Date;
}

// Every package the request names, the base's and its layers'.
function requestedPackages(request: BaseRequest): string[] {
  return [...request.packages, ...Object.values(request.layers ?? {}).flat()];
}

/** requestHash digests the parts of a request that change the result, in a canonical form. */
export function requestHash(request: BaseRequest): string {
  const variant = request.variant ?? 'distroless';
  // Named packages the variant would leave out are installed: a lock made when they were dropped is out of date.
  const { kept } = variantPackages(variant, requestedPackages(request));
  const canonical = {
    distro: request.distro,
    release: request.release,
    architecture: request.architecture,
    variant,
    packages: [...new Set(request.packages)].sort(),
    exclude: [...new Set(request.exclude ?? [])].sort(),
    recommends: request.recommends ?? false,
    mirrors: { mirror: request.mirrors?.mirror ?? null, securityMirror: request.mirrors?.securityMirror ?? null },
    // Only the runtime closure is named, so locks made before closures existed (full ones) still match `full`.
    ...((request.closure ?? 'runtime') === 'runtime' ? { closure: 'runtime' } : {}),
    ...(kept.length ? { kept } : {}),
    // Left out at their defaults, so locks written before kiln knew about them stay current.
    ...(sameSet(components(request), defaultComponents(request)) ? {} : { components: [...new Set(components(request))].sort() }),
    ...(Object.keys(request.layers ?? {}).length
      ? { layers: Object.entries(request.layers!).map(([name, packages]) => [name, [...new Set(packages)].sort()]) }
      : {}),
  };
  return `sha256:${createHash('sha256').update(JSON.stringify(canonical)).digest('hex')}`;
}

function components(request: Pick<BaseRequest, 'distro' | 'components'>): string[] {
  return request.components ?? defaultComponents(request);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((item) => right.has(item));
}

// A mirror serving another release under this one's name (say trixie behind a bookworm URL) must not slip in.
function checkCodename(preset: Preset, fetched: FetchedRelease): void {
  const codename = fetched.release.codename ?? '';
  if (codename !== preset.codename && !codename.startsWith(`${preset.codename}-`)) {
    throw new IntegrityError(`${fetched.url} is codename "${codename}", expected ${preset.distro} "${preset.codename}"`);
  }
}

/** resolveBase fetches and verifies every Release and Packages index of the preset, resolves, and pins the result. */
export async function resolveBase(request: BaseRequest, options: ResolveBaseOptions): Promise<LockedBase> {
  // Fetching, verifying and resolving are loaded only here: reading a warm kiln.lock needs none of them.
  const [{ fetchRelease }, { fetchPackagesIndex }, { resolveLayers }] = await Promise.all([import('./release.js'), import('./packages-index.js'), import('./resolver.js')]);
  const preset = findPreset(request.distro, request.release);
  const variant = request.variant ?? 'distroless';
  const sources = presetSources(preset, request.architecture, request.mirrors, request.keyring, components(request));
  const releases = await Promise.all(sources.map((source) => fetchRelease(source, options)));
  releases.forEach((fetched) => checkCodename(preset, fetched));
  const records: PackageRecord[] = [];
  for (const fetched of releases) {
    for (const component of fetched.source.components) {
      const index = await fetchPackagesIndex(fetched, component, request.architecture, options.store, options);
      records.push(...index.packages);
    }
  }
  const extra = variantPackages(variant, requestedPackages(request));
  const { packages: resolved, omitted } = resolveLayers(records, request.layers ?? {}, {
    packages: [...request.packages, ...extra.add],
    architecture: request.architecture,
    exclude: [...extra.exclude, ...(request.exclude ?? [])],
    recommends: request.recommends,
    ...((request.closure ?? 'runtime') === 'runtime' ? { omit: omitFromRuntime } : {}),
  });
  return {
    distro: preset.distro,
    release: preset.release,
    codename: preset.codename,
    architecture: request.architecture,
    variant,
    components: components(request),
    request: requestHash(request),
    repositories: releases.map((f) => ({ mirror: f.source.mirror, suite: f.source.suite, inRelease: `sha256:${f.sha256}`, date: f.release.date ?? '' })),
    packages: resolved.map(lockPackage),
    ...(omitted.length ? { omitted } : {}),
  };
}

function lockPackage(pkg: ResolvedPackage): LockedPackage {
  const { name, version, architecture, filename, sha256, size, source, mirror, layer } = pkg;
  return {
    name, version, architecture, filename, sha256, size, ...(source === undefined ? {} : { source }), mirror, ...(layer === undefined ? {} : { layer }),
  };
}

/**
 * packagesFromLock turns a locked base back into packages to fetch, refusing a lock made for another
 * release or for a different request. From a lock, `control` holds only the pinned fields: the .deb's own
 * control file is the authority for everything else.
 */
export function packagesFromLock(base: LockedBase, request: BaseRequest, name = 'base'): ResolvedPackage[] {
  const preset = findPreset(request.distro, request.release);
  if (base.distro !== preset.distro || base.codename !== preset.codename) {
    throw new InputError(`kiln.lock: base "${name}" is locked for ${base.distro} ${base.codename}, but ${preset.distro} ${preset.codename} is requested; run kiln lock`);
  }
  if (base.architecture !== request.architecture) {
    throw new InputError(`kiln.lock: base "${name}" is locked for ${base.architecture}, but ${request.architecture} is requested; run kiln lock`);
  }
  if (base.request !== requestHash(request)) {
    throw new InputError(`kiln.lock: base "${name}" is out of date (its packages, exclusions, variant or mirrors changed); run kiln lock`);
  }
  // Locks written before kiln read the -updates and -security suites still match their request: building from one
  // would quietly install packages without the security updates published since.
  const unread = presetSuites(preset).filter((suite) => !base.repositories.some((repository) => repository.suite === suite));
  if (unread.length) {
    throw new InputError(`kiln.lock: base "${name}" was locked without ${unread.join(' and ')}, so it misses security updates; run kiln lock`);
  }
  return base.packages.map((p) => {
    const control: Array<[string, string]> = [['Package', p.name], ['Version', p.version], ['Architecture', p.architecture]];
    if (p.source !== undefined) control.push(['Source', p.source]);
    control.push(['Filename', p.filename], ['Size', String(p.size)], ['SHA256', p.sha256]);
    return { ...p, control };
  });
}

const lockedBaseSchema = z.object({
  distro: z.enum(['debian', 'ubuntu']),
  release: z.string(),
  codename: z.string(),
  architecture: z.string(),
  variant: z.enum(['distroless', 'slim']),
  components: z.array(z.string()).min(1).optional(),
  request: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  repositories: z.array(z.object({ mirror: z.string(), suite: z.string(), 'in-release': z.string(), date: z.string() })).default([]),
  packages: z.array(z.object({
    name: z.string(),
    version: z.string(),
    architecture: z.string(),
    filename: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    size: z.number().int().nonnegative(),
    source: z.string().optional(),
    mirror: z.string(),
    layer: z.string().optional(),
  })).default([]),
  omitted: z.array(z.object({ name: z.string(), 'wanted-by': z.string() })).optional(),
});

const lockFileSchema = z.object({
  version: z.literal(1),
  bases: z.record(z.string(), lockedBaseSchema).default({}),
  registry: z.record(z.string(), z.object({ digest: z.string().regex(/^sha256:[0-9a-f]{64}$/) })).default({}),
  sources: z.record(z.string(), z.object({
    git: z.string().min(1),
    ref: z.string().min(1),
    commit: z.string().regex(/^[0-9a-f]{40}$/),
    patches: z.array(z.object({ name: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/) })).default([]),
  })).default({}),
});

/** readLock reads kiln.lock; a missing file is an empty lock, a malformed one an InputError naming the file. */
export async function readLock(path: string): Promise<LockFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, bases: {}, registry: {}, sources: {} };
    throw new InputError(`${path}: ${errorMessage(error)}`, { cause: error });
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    const line = (error as { line?: number }).line;
    throw new InputError(`not valid TOML: ${errorMessage(error).split('\n')[0]}`, { cause: error, where: { file: path, line } });
  }
  const result = lockFileSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new InputError(`${issue.path.join('.') || 'lock'}: ${issue.message}`, { where: { file: path } });
  }
  const bases: Record<string, LockedBase> = {};
  for (const [name, base] of Object.entries(result.data.bases)) {
    const { omitted, ...rest } = base;
    bases[name] = {
      ...rest,
      // Locks from before components were recorded read the preset's defaults, which is what they were resolved with.
      components: base.components ?? defaultComponents(base),
      repositories: base.repositories.map((r) => ({ mirror: r.mirror, suite: r.suite, inRelease: r['in-release'], date: r.date })),
      // `wanted-by` reads as apt prints it: "python3-scipy -> python3-pythran"; the omitted package ends the chain.
      ...(omitted?.length ? { omitted: omitted.map((o) => ({ name: o.name, chain: [...o['wanted-by'].split(' -> ').filter(Boolean), o.name] })) } : {}),
    };
  }
  return { version: 1, bases, registry: result.data.registry, sources: result.data.sources };
}

/** formatLock renders a lock as TOML with a fixed order: bases by name, packages by name, fields as declared. */
export function formatLock(lock: LockFile): string {
  const bases: Record<string, unknown> = {};
  for (const name of Object.keys(lock.bases).sort()) {
    const base = lock.bases[name]!;
    bases[name] = {
      distro: base.distro,
      release: base.release,
      codename: base.codename,
      architecture: base.architecture,
      variant: base.variant,
      components: base.components,
      request: base.request,
      repositories: base.repositories.map((r) => ({ mirror: r.mirror, suite: r.suite, 'in-release': r.inRelease, date: r.date })),
      packages: [...base.packages].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(lockPackageFields),
      ...(base.omitted?.length ? { omitted: base.omitted.map((o) => ({ name: o.name, 'wanted-by': o.chain.slice(0, -1).join(' -> ') })) } : {}),
    };
  }
  const registry: Record<string, LockedRegistryBase> = {};
  for (const reference of Object.keys(lock.registry ?? {}).sort()) registry[reference] = { digest: lock.registry![reference]!.digest };
  const sources: Record<string, LockedSource> = {};
  for (const name of Object.keys(lock.sources ?? {}).sort()) {
    const { git, ref, commit, patches } = lock.sources![name]!;
    sources[name] = { git, ref, commit, patches: patches.map((patch) => ({ name: patch.name, sha256: patch.sha256 })) };
  }
  return `# kiln.lock: written by kiln lock; do not edit by hand.\n${stringify({ version: 1, bases, ...(Object.keys(registry).length ? { registry } : {}), ...(Object.keys(sources).length ? { sources } : {}) })}\n`;
}

function lockPackageFields(p: LockedPackage): Record<string, unknown> {
  const out: Record<string, unknown> = { name: p.name, version: p.version, architecture: p.architecture };
  if (p.source !== undefined) out.source = p.source;
  Object.assign(out, { filename: p.filename, sha256: p.sha256, size: p.size, mirror: p.mirror });
  if (p.layer !== undefined) out.layer = p.layer;
  return out;
}

/** writeLock writes kiln.lock atomically (temp file + rename), so a failed run never leaves half a lock. */
export async function writeLock(path: string, lock: LockFile): Promise<void> {
  const temp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, formatLock(lock));
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new OutputError(`writing ${path}: ${errorMessage(error)}`, { cause: error });
  }
}
