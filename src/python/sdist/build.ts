// wheelFromSdist: a locked package that has no wheel for the target, only an sdist with a hash in the lock. The
// sdist is fetched and checked against that hash, then built natively when it is pure Python with a backend kiln
// implements (no daemon, reproducible: the same sdist and epoch give the same wheel bytes), else by a builder the
// user allowed (python.build_sdists: builder). Either way the wheel is kept in the cache, remembered by the sdist's
// sha256, so planning again builds nothing.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { BlobStore } from '../../cache/blob-store.js';
import { InputError, IntegrityError, ResolutionError, UsageError } from '../../errors.js';
import type { PinnedSdist } from '../../plan/types.js';
import { downloadAll } from '../index/download.js';
import type { FileLocator } from '../index/locate.js';
import { buildLocalWheel } from '../local-wheel/wheel.js';
import { normalizeName } from '../names.js';
import type { LockedFile } from '../types.js';
import { parseWheelFilename } from '../wheel/filename.js';
import type { TagRanking } from '../wheel/tags.js';
import { nativeVerdict } from './classify.js';
import { unpackSdist } from './unpack.js';

/** SdistBuildRequest is one unpacked sdist for a builder to turn into a wheel in `outDir`. */
export interface SdistBuildRequest {
  name: string;
  version: string;
  sdistFilename: string;
  sourceDir: string;
  outDir: string;
  epoch: number;
}

/** SdistBuilder builds sdists that need compiling, in the base's own Python (a container, a sandbox). */
export interface SdistBuilder {
  /** key identifies the builder (its image digest) in cache keys: another builder may make another wheel. */
  key: string;
  /** build returns the path of the one wheel it wrote. */
  build(request: SdistBuildRequest): Promise<string>;
}

/** SdistContext: the cache, where files are found, the target's tags, the builder when allowed, and the epoch. */
export interface SdistContext {
  store: BlobStore;
  locate: () => FileLocator;
  ranking: TagRanking;
  epoch: number;
  builder?: SdistBuilder;
  log?: (line: string) => void;
}

/** BuiltFromSdist is the wheel made from an sdist: its file name, sha256 and size, and the sdist it came from. */
export interface BuiltFromSdist {
  filename: string;
  sha256: string;
  size: number;
  sdist: PinnedSdist;
}

/** isSdistFilename tells a source distribution's file name from a wheel's. */
export function isSdistFilename(filename: string): boolean {
  return /\.(tar\.gz|tgz|zip)$/.test(filename);
}

/** noWheelLine starts the one-line errors about a package that has only an sdist for the target. */
function noWheelLine(pkg: { name: string; version: string }, sdist: string, hadWheels: boolean): string {
  return `${pkg.name} ${pkg.version} has ${hadWheels ? 'no wheel for this target, only' : 'only'} an sdist (${sdist})`;
}

/** wheelFromSdist builds (or finds in the cache) the wheel of `sdist` for a package with no fitting wheel. */
export async function wheelFromSdist(pkg: { name: string; version: string }, sdist: LockedFile, hadWheels: boolean, context: SdistContext): Promise<BuiltFromSdist> {
  const sha256 = sdist.hashes.sha256?.toLowerCase();
  if (!sha256) throw new IntegrityError(`${noWheelLine(pkg, sdist.filename, hadWheels)}, and the lock has no sha256 for it; kiln builds only sdists the lock vouches for`);
  const key = createHash('sha256').update(JSON.stringify({ v: 1, sdist: sha256, epoch: context.epoch, builder: context.builder?.key ?? null })).digest('hex');
  const known = await context.store.getMemo<BuiltFromSdist>('python-sdist-wheel', key);
  if (known && (await context.store.has(`sha256:${known.sha256}`))) return known;

  const url = sdist.url ?? (await context.locate().url(pkg.name, sdist.filename));
  const headers = (target: string): Record<string, string> => (sdist.url ? {} : context.locate().headersFor(target));
  const [fetched] = await downloadAll([{ packageName: pkg.name, filename: sdist.filename, url, hashes: { sha256 } }], { store: context.store, headersFor: headers });
  const work = await mkdtemp(join(tmpdir(), 'kiln-sdist-'));
  try {
    const source = await unpackSdist(fetched!.path, sdist.filename, join(work, 'src'));
    const verdict = await nativeVerdict(source);
    let wheel: string;
    let build: PinnedSdist['build'];
    if (verdict.native) {
      wheel = (await buildLocalWheel(source, work, { epoch: context.epoch })).path;
      build = 'native';
    } else if (context.builder) {
      context.log?.(`${pkg.name} ${pkg.version}: building ${sdist.filename} in the builder (${verdict.reason})`);
      wheel = await context.builder.build({ name: pkg.name, version: pkg.version, sdistFilename: sdist.filename, sourceDir: source, outDir: join(work, 'out'), epoch: context.epoch });
      build = 'builder';
    } else {
      const why = verdict.compiles ? 'it needs compiling' : `kiln cannot build it natively (${verdict.reason})`;
      throw new UsageError(`${noWheelLine(pkg, sdist.filename, hadWheels)}; ${why}: allow python.build_sdists: builder`);
    }
    const filename = basename(wheel);
    checkWheel(pkg, sdist.filename, filename, context.ranking);
    const info = await context.store.write(createReadStream(wheel));
    const built: BuiltFromSdist = { filename, sha256: info.digest.slice('sha256:'.length), size: info.size, sdist: { filename: sdist.filename, sha256, ...(sdist.url ? { url: sdist.url } : {}), build } };
    await context.store.setMemo('python-sdist-wheel', key, built);
    return built;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

// The wheel must be the locked package (an sdist whose metadata names another project or version is not it)
// and, when a builder made it, fit the target.
function checkWheel(pkg: { name: string; version: string }, sdist: string, filename: string, ranking: TagRanking): void {
  const parsed = parseWheelFilename(filename);
  if (normalizeName(parsed.distribution) !== pkg.name || normalizeVersion(parsed.version) !== normalizeVersion(pkg.version)) {
    throw new InputError(`${pkg.name} ${pkg.version}: the sdist ${sdist} builds ${filename}, which is not the locked package`);
  }
  if (ranking.wheelRank(filename) === undefined) throw new ResolutionError(`${pkg.name} ${pkg.version}: the wheel built from ${sdist} (${filename}) does not fit the target`);
}

function normalizeVersion(version: string): string {
  return version.toLowerCase().replace(/^v/, '').replace(/(\.0)+(?=$|[^.\d])/, '');
}
