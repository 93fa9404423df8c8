// kiln's production node_modules, chosen from package-lock.json as `npm ci --omit=dev` would install them for the
// image's platform, and copied from the checkout's node_modules: no network, no npm, the same files every time.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { directoryEntries } from '../layer/from-directory.js';
import type { PlatformSpec } from '../plan/types.js';
import type { TarEntry } from '../tar/entry.js';

/** LockedPackage is one `packages` entry of package-lock.json (lockfileVersion 2 or 3). */
interface LockedPackage {
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

// Node's names for OCI architectures.
const NODE_CPU: Record<string, string> = { amd64: 'x64', arm64: 'arm64', arm: 'arm', '386': 'ia32', ppc64le: 'ppc64', s390x: 's390x', riscv64: 'riscv64' };

// npm's os/cpu/libc fields: a list of allowed values, or `!value` for excluded ones.
function allows(list: string[] | undefined, value: string): boolean {
  if (!list?.length) return true;
  if (list.includes(`!${value}`)) return false;
  return list.some((item) => item === value || item === 'any') || list.every((item) => item.startsWith('!'));
}

function fitsPlatform(pkg: LockedPackage, platform: PlatformSpec): boolean {
  const cpu = NODE_CPU[platform.architecture] ?? platform.architecture;
  // kiln's images are Debian or Ubuntu: glibc.
  return allows(pkg.os, platform.os) && allows(pkg.cpu, cpu) && allows(pkg.libc, 'glibc');
}

/**
 * runtimePackages lists the package folders (`node_modules/a`, `node_modules/a/node_modules/b`) a production
 * install holds on `platform`: everything not marked dev; optional ones only when they fit the platform. A package
 * the image needs that the checkout lacks is refused: copying a partial tree would fail only when run.
 */
export async function runtimePackages(root: string, platform: PlatformSpec): Promise<string[]> {
  let lock: { lockfileVersion?: number; packages?: Record<string, LockedPackage> };
  try {
    lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as typeof lock;
  } catch (error) {
    throw new InputError(`${join(root, 'package-lock.json')}: ${(error as Error).message}`, { cause: error });
  }
  if (!lock.packages || (lock.lockfileVersion ?? 0) < 2) throw new InputError(`${join(root, 'package-lock.json')}: lockfileVersion 2 or 3 needed (npm 7 or later)`);
  const wanted: string[] = [];
  for (const [path, pkg] of Object.entries(lock.packages)) {
    if (!path.startsWith('node_modules/') || pkg.dev) continue;
    const present = existsSync(join(root, path, 'package.json'));
    if (pkg.optional || pkg.devOptional) {
      const constrained = Boolean(pkg.os || pkg.cpu || pkg.libc);
      if (!fitsPlatform(pkg, platform)) continue;
      if (!present && constrained) throw new InputError(`${path} is needed on ${platform.os}/${platform.architecture} but not installed here; run npm ci on a ${platform.os}/${platform.architecture} glibc machine`);
      if (!present) continue;
    } else if (!present) {
      throw new InputError(`${path} is not installed; run npm ci`);
    }
    wanted.push(path);
  }
  return wanted.sort();
}

/** nodeModulesEntries lists the packages' files under `prefix` (each package without its nested node_modules, listed on its own). */
export async function nodeModulesEntries(root: string, packages: string[], prefix: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  for (const path of packages) {
    entries.push({ path: `${prefix}/${path}`, type: 'directory', mode: 0o755 });
    entries.push(...await directoryEntries(join(root, path), { prefix: `${prefix}/${path}`, skip: (relative) => relative === 'node_modules' }));
  }
  return entries;
}
