// PEP 425 compatibility tags for a target image, most specific first, in the order
// packaging.tags.sys_tags() gives for CPython on Linux, and the choice of the best wheel.
import { ResolutionError } from '../../errors.js';
import type { LockedFile, TargetEnvironment } from '../types.js';
import { parseWheelFilename } from './filename.js';

// The last minor release of each glibc major series before the next; only 2.x has existed.
const LAST_GLIBC_MINOR: Record<number, number> = { 1: 99 };
const LEGACY_MANYLINUX: Record<string, string> = { '2_17': 'manylinux2014', '2_12': 'manylinux2010', '2_5': 'manylinux1' };

/** platformTags lists the target's platform tags: manylinux or musllinux from its libc down, then linux_<arch>. */
export function platformTags(target: TargetEnvironment): string[] {
  const arch = target.platformMachine;
  const tags: string[] = [];
  const [major, minor] = target.libc.version;
  if (target.libc.kind === 'glibc') {
    // x86 wheels go back to glibc 2.5 (manylinux1); other architectures start at 2.17 (manylinux2014).
    const oldest = arch === 'x86_64' || arch === 'i686' ? 5 : 17;
    const maxima: Array<[number, number]> = [[major, minor]];
    for (let m = major - 1; m > 1; m--) maxima.push([m, LAST_GLIBC_MINOR[m] ?? 0]);
    for (const [maxMajor, maxMinor] of maxima) {
      const floor = maxMajor === 2 ? oldest : 0;
      for (let m = maxMinor; m >= floor; m--) {
        tags.push(`manylinux_${maxMajor}_${m}_${arch}`);
        const legacy = LEGACY_MANYLINUX[`${maxMajor}_${m}`];
        if (legacy) tags.push(`${legacy}_${arch}`);
      }
    }
  } else {
    for (let m = minor; m >= 0; m--) tags.push(`musllinux_${major}_${m}_${arch}`);
  }
  tags.push(`linux_${arch}`);
  return tags;
}

/** compatibleTags lists every `python-abi-platform` tag the target accepts, best first (like sys_tags()). */
export function compatibleTags(target: TargetEnvironment): string[] {
  const [major, minor] = target.pythonVersion.split('.').map(Number) as [number, number];
  const interpreter = `cp${major}${minor}`;
  const platforms = platformTags(target);
  const tags: string[] = [];
  for (const platform of platforms) tags.push(`${interpreter}-${interpreter}-${platform}`);
  for (const platform of platforms) tags.push(`${interpreter}-abi3-${platform}`);
  for (const platform of platforms) tags.push(`${interpreter}-none-${platform}`);
  for (let m = minor - 1; m > 1; m--) for (const platform of platforms) tags.push(`cp${major}${m}-abi3-${platform}`);
  const pyVersions = [`py${major}${minor}`, `py${major}`];
  for (let m = minor - 1; m >= 0; m--) pyVersions.push(`py${major}${m}`);
  for (const py of pyVersions) for (const platform of platforms) tags.push(`${py}-none-${platform}`);
  tags.push(`${interpreter}-none-any`);
  for (const py of pyVersions) tags.push(`${py}-none-any`);
  return tags;
}

/** TagRanking answers "how good is this tag for the target": lower is better, undefined is incompatible. */
export class TagRanking {
  readonly tags: string[];
  private readonly rank: Map<string, number>;

  constructor(target: TargetEnvironment) {
    this.tags = compatibleTags(target);
    this.rank = new Map(this.tags.map((tag, i) => [tag, i]));
  }

  /** wheelRank is the best rank among a wheel file name's tags, or undefined when none fits. */
  wheelRank(filename: string): number | undefined {
    let best: number | undefined;
    for (const tag of parseWheelFilename(filename).tags) {
      const rank = this.rank.get(tag);
      if (rank !== undefined && (best === undefined || rank < best)) best = rank;
    }
    return best;
  }
}

/**
 * selectWheel picks the package's most specific compatible wheel (a higher build tag breaks ties, as in
 * pip). No compatible wheel is a ResolutionError naming the package and the tags tried.
 */
export function selectWheel<F extends Pick<LockedFile, 'filename'>>(packageName: string, files: readonly F[], ranking: TagRanking): F {
  let best: { file: F; rank: number; build: [number, string] } | undefined;
  for (const file of files) {
    if (!file.filename.endsWith('.whl')) continue;
    const rank = ranking.wheelRank(file.filename);
    if (rank === undefined) continue;
    const build = parseWheelFilename(file.filename).buildTag ?? [-1, ''];
    if (!best || rank < best.rank || (rank === best.rank && compareBuild(build, best.build) > 0)) best = { file, rank, build };
  }
  if (best) return best.file;
  const wheels = files.filter((f) => f.filename.endsWith('.whl')).map((f) => f.filename);
  const what = wheels.length
    ? `none of its wheels (${wheels.join(', ')}) fits`
    : files.length ? 'it has only source distributions, which kiln does not build' : 'the lock lists no files for it';
  const shown = ranking.tags.slice(0, 3).join(', ');
  throw new ResolutionError(`no compatible wheel for ${packageName}: ${what}; tried ${ranking.tags.length} tags (${shown}, ..., ${ranking.tags.at(-1)})`);
}

function compareBuild(a: [number, string], b: [number, string]): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}
