// Wheel file names (PEP 427): {distribution}-{version}(-{build tag})?-{python}-{abi}-{platform}.whl
import { InputError } from '../../errors.js';

/** WheelFilename is a parsed wheel file name; tags expand compressed sets like `py2.py3`. */
export interface WheelFilename {
  filename: string;
  /** distribution as written in the file name (escaped: `-` became `_`). */
  distribution: string;
  version: string;
  /** buildTag as [number, rest], compared numerically first like pip does. */
  buildTag?: [number, string];
  /** tags are every `python-abi-platform` triple the name expands to. */
  tags: string[];
}

// Same shape as pypa/installer's: lazy name and version, optional build tag starting with a digit.
const WHEEL_NAME = /^(?<distribution>.+?)-(?<version>.*?)(?:-(?<build>\d[^-]*?))?-(?<python>[^-]+?)-(?<abi>[^-]+?)-(?<platform>[^-]+?)\.whl$/;

/** parseWheelFilename splits a wheel file name; a name that does not fit throws an InputError naming it. */
export function parseWheelFilename(filename: string): WheelFilename {
  const match = WHEEL_NAME.exec(filename);
  if (!match?.groups) throw new InputError(`"${filename}" is not a valid wheel file name`);
  const { distribution, version, build, python, abi, platform } = match.groups as Record<string, string>;
  const tags: string[] = [];
  for (const p of python!.split('.')) for (const a of abi!.split('.')) for (const pl of platform!.split('.')) tags.push(`${p}-${a}-${pl}`);
  const parsed: WheelFilename = { filename, distribution: distribution!, version: version!, tags };
  if (build) {
    const [, number, rest] = /^(\d+)(.*)$/.exec(build)!;
    parsed.buildTag = [Number(number), rest ?? ''];
  }
  return parsed;
}

/** normalizeName is the PEP 503 form of a project name: lowercase, runs of `-_.` become `-`. */
export function normalizeName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** escapeName is the form a distribution name takes in wheel and dist-info names (PEP 427 / 491). */
export function escapeName(name: string): string {
  return name.replace(/[-_.]+/g, '_');
}
