// The TargetEnvironment of an image: its Python version (read from the base) and its OCI platform.
import { UsageError } from '../errors.js';
import type { Libc, TargetEnvironment } from './types.js';
import type { PythonTarget } from '../plan/types.js';

// OCI architecture (+ variant) -> what `platform.machine()` prints on Linux.
const MACHINES: Record<string, string> = {
  amd64: 'x86_64',
  arm64: 'aarch64',
  'arm/v7': 'armv7l',
  'arm/v6': 'armv6l',
  arm: 'armv7l',
  '386': 'i686',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
};

/** platformMachine maps an OCI architecture (and variant) to the `platform_machine` marker value. */
export function platformMachine(architecture: string, variant?: string): string {
  const machine = MACHINES[variant ? `${architecture}/${variant}` : architecture] ?? MACHINES[architecture];
  if (!machine) throw new UsageError(`unsupported architecture ${architecture}${variant ? `/${variant}` : ''} for Python packages`);
  return machine;
}

/** targetEnvironment builds the marker and tag environment of a Linux CPython image. */
export function targetEnvironment(options: {
  architecture: string;
  variant?: string;
  pythonFullVersion: string;
  libc?: Libc;
}): TargetEnvironment {
  const match = /^(\d+)\.(\d+)(?:\.\d+)?/.exec(options.pythonFullVersion);
  if (!match) throw new UsageError(`invalid Python version ${options.pythonFullVersion}: expected major.minor.micro`);
  return {
    pythonVersion: `${match[1]}.${match[2]}`,
    pythonFullVersion: options.pythonFullVersion,
    implementation: 'cpython',
    sysPlatform: 'linux',
    platformMachine: platformMachine(options.architecture, options.variant),
    osName: 'posix',
    platformSystem: 'Linux',
    libc: options.libc ?? { kind: 'glibc', version: [2, 36] },
  };
}

/** targetOf turns a pinned target into the marker and tag environment wheels are chosen for. */
export function targetOf(target: PythonTarget, platform: { architecture: string; variant?: string }): TargetEnvironment {
  return targetEnvironment({
    architecture: platform.architecture,
    ...(platform.variant ? { variant: platform.variant } : {}),
    pythonFullVersion: target.pythonFullVersion,
    libc: target.libc,
  });
}
