// syncSources: kiln.yaml `sources:` + kiln.lock -> every source's clean tree at its pinned commit with its series
// applied. A pin is never moved here: kiln.lock's commit is used while kiln.yaml names the same URL and ref; a
// source without a pin is resolved (refused under --locked) and the plan carries the new pin for kiln.lock.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BlobStore } from '../cache/blob-store.js';
import type { SourceSpec } from '../config/schema.js';
import type { LockedSource } from '../debian/lock.js';
import { InputError, KilnError, type SourceLocation } from '../errors.js';
import type { PinnedSource } from '../plan/types.js';
import { fetchMirror, mirrorWithCommit, readBlob, resolveRef, type Mirror } from './mirror.js';
import { readSeries, type Patch } from './series.js';
import { syncedTree } from './tree.js';

/** SyncOptions: the cache, git's environment, kiln.yaml's folder, kiln.lock's pins and whether new pins are refused. */
export interface SyncOptions {
  store: BlobStore;
  env: NodeJS.ProcessEnv;
  manifestDir: string;
  pins: Record<string, LockedSource>;
  locked: boolean;
  log?: (line: string) => void;
  /** locate points at a source's field in kiln.yaml, for errors. */
  locate?: (name: string, field?: string) => SourceLocation;
}

/** seriesOf reads a source's patch series (none when it names no patches folder). */
export function seriesOf(spec: SourceSpec, manifestDir: string): Promise<Patch[]> {
  return spec.patches ? readSeries(resolve(manifestDir, spec.patches)) : Promise.resolve([]);
}

/** samePatches tells whether a pin recorded exactly this series. */
export function samePatches(pin: LockedSource, patches: ReadonlyArray<{ name: string; sha256: string }>): boolean {
  return pin.patches.length === patches.length && pin.patches.every((patch, i) => patch.name === patches[i]!.name && patch.sha256 === patches[i]!.sha256);
}

/** pinFor is a source's kiln.lock pin when it still answers kiln.yaml (same URL and ref), else undefined. */
export function pinFor(spec: SourceSpec, pin: LockedSource | undefined): LockedSource | undefined {
  return pin && pin.git === spec.git && pin.ref === spec.ref ? pin : undefined;
}

/** sourceVersion reads the first line of the source's version_file, from the tree or, outside sparse paths, the commit. */
export async function sourceVersion(spec: SourceSpec, dir: string, mirror: Mirror, commit: string): Promise<string | undefined> {
  if (!spec.version_file) return undefined;
  const text = await readFile(join(dir, spec.version_file), 'utf8').catch(() => readBlob(mirror, commit, spec.version_file!));
  if (text === undefined) throw new InputError(`version_file ${spec.version_file} is not in the source at ${commit.slice(0, 12)}`);
  const version = text.trim().split('\n')[0]!.trim();
  if (!version) throw new InputError(`version_file ${spec.version_file} is empty at ${commit.slice(0, 12)}`);
  return version;
}

/** syncSource syncs one source: the pinned (or newly resolved) commit, checked out with the series applied. */
export async function syncSource(name: string, spec: SourceSpec, options: SyncOptions): Promise<PinnedSource> {
  let field: string | undefined;
  try {
    field = 'patches';
    const patches = await seriesOf(spec, options.manifestDir);
    const pin = pinFor(spec, options.pins[name]);
    field = 'ref';
    if (!pin && options.locked) {
      throw new InputError(`kiln.lock pins no commit for ${spec.git} at ${spec.ref} and --locked forbids resolving it; run kiln source sync ${name}`);
    }
    if (pin && options.locked && !samePatches(pin, patches)) {
      throw new InputError(`the patch series changed since kiln.lock pinned it and --locked forbids recording it; run kiln source sync ${name}`);
    }
    let commit: string;
    let mirror: Mirror;
    if (pin) {
      commit = pin.commit;
      mirror = await mirrorWithCommit(spec.git, commit, options);
    } else {
      mirror = await fetchMirror(spec.git, options);
      commit = await resolveRef(mirror, spec.ref);
      options.log?.(`source ${name}: ${spec.ref} is ${commit.slice(0, 12)} (new in kiln.lock)`);
    }
    field = 'patches';
    const tree = await syncedTree(options.store, mirror, commit, spec.paths, patches);
    field = 'version_file';
    const version = await sourceVersion(spec, tree.dir, mirror, commit);
    const applied = new Map(tree.outcomes.map((outcome) => [outcome.patch, outcome.status] as const));
    return {
      name,
      git: spec.git,
      ref: spec.ref,
      commit,
      paths: spec.paths,
      patches: patches.map((patch) => ({ name: patch.name, sha256: patch.sha256, applied: applied.get(patch.name) === '3-way' ? '3-way' : 'clean' })),
      dir: tree.dir,
      ...(version ? { version } : {}),
    };
  } catch (error) {
    if (!(error instanceof KilnError)) throw error;
    const Kind = error.constructor as new (message: string, options?: { cause?: unknown; where?: SourceLocation }) => KilnError;
    const where = error.where ?? options.locate?.(name, field);
    throw new Kind(`source ${name}: ${error.message}`, { cause: error, ...(where ? { where } : {}) });
  }
}

/** syncSources syncs every source kiln.yaml names (or those in `only`), one after another. */
export async function syncSources(sources: Record<string, SourceSpec>, options: SyncOptions, only?: string[]): Promise<PinnedSource[]> {
  const synced: PinnedSource[] = [];
  for (const name of Object.keys(sources).sort()) {
    if (only && !only.includes(name)) continue;
    synced.push(await syncSource(name, sources[name]!, options));
  }
  return synced;
}

/** lockedSource is what kiln.lock records of a synced source. */
export function lockedSource(source: PinnedSource): LockedSource {
  return { git: source.git, ref: source.ref, commit: source.commit, patches: source.patches.map(({ name, sha256 }) => ({ name, sha256 })) };
}
