// Distro presets: which mirrors, suites, components and keyrings make up "debian bookworm" or "ubuntu noble",
// and which packages a distroless or slim image leaves out or adds.
import { ConfigError } from '../errors.js';
import type { AptSource, Distro } from './types.js';

/** Variant is the flavour of base: `distroless` (no shell, no package manager) or `slim` (adds a shell and coreutils). */
export type Variant = 'distroless' | 'slim';

/** Preset describes one release of a distro. */
export interface Preset {
  distro: Distro;
  release: string;
  /** codename every main-suite Release must carry (the lock refuses anything else). */
  codename: string;
  architectures: string[];
  keyring: string;
  /** python is the version of the release's python3 (its point release when the release came out). */
  python: string;
}

/** MirrorOverrides replaces the preset's default mirrors (e.g. a local cache or snapshot.debian.org). */
export interface MirrorOverrides {
  /** mirror serves the release and -updates suites (and, for Ubuntu, -security too). */
  mirror?: string;
  /** securityMirror serves Debian's -security suite. */
  securityMirror?: string;
}

const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const UBUNTU_KEYRING = '/usr/share/keyrings/ubuntu-archive-keyring.gpg';

const PRESETS: Preset[] = [
  { distro: 'debian', release: 'bookworm', codename: 'bookworm', architectures: ['amd64', 'arm64'], keyring: DEBIAN_KEYRING, python: '3.11.2' },
  { distro: 'debian', release: 'trixie', codename: 'trixie', architectures: ['amd64', 'arm64'], keyring: DEBIAN_KEYRING, python: '3.13.5' },
  { distro: 'ubuntu', release: 'noble', codename: 'noble', architectures: ['amd64', 'arm64'], keyring: UBUNTU_KEYRING, python: '3.12.3' },
];

/** presetsOf lists a distro's presets, oldest release first. */
export function presetsOf(distro: Distro): readonly Preset[] {
  return PRESETS.filter((p) => p.distro === distro);
}

/** presetNames lists `distro/release` for every preset, for help texts and errors. */
export function presetNames(): string[] {
  return PRESETS.map((p) => `${p.distro}/${p.release}`);
}

/** findPreset returns the preset for a distro and release, or a ConfigError listing the known ones. */
export function findPreset(distro: string, release: string): Preset {
  const preset = PRESETS.find((p) => p.distro === distro && p.release === release);
  if (!preset) throw new ConfigError(`no preset for ${distro} ${release} (known: ${presetNames().join(', ')})`);
  return preset;
}

/**
 * defaultComponents are the archive areas a base reads when kiln.yaml names none: Debian's `main`; Ubuntu's
 * `main` and `universe` (where most of Ubuntu's Python stack lives).
 */
export function defaultComponents(preset: Pick<Preset, 'distro'>): string[] {
  return preset.distro === 'debian' ? ['main'] : ['main', 'universe'];
}

/**
 * presetSources lists the apt sources of a preset for one architecture, main suite first. `components` (default
 * defaultComponents) are read in every suite: each must be in every suite's signed Release, or resolving fails
 * naming it.
 */
export function presetSources(
  preset: Preset, architecture: string, overrides: MirrorOverrides = {}, keyring = preset.keyring, components = defaultComponents(preset),
): AptSource[] {
  if (!preset.architectures.includes(architecture)) {
    throw new ConfigError(`${preset.distro} ${preset.release} has no preset for architecture ${architecture} (known: ${preset.architectures.join(', ')})`);
  }
  const [release, updates, security] = presetSuites(preset);
  if (preset.distro === 'debian') {
    const mirror = overrides.mirror ?? 'http://deb.debian.org/debian';
    const securityMirror = overrides.securityMirror ?? 'http://security.debian.org/debian-security';
    return [
      { distro: 'debian', mirror, suite: release, components, keyring },
      { distro: 'debian', mirror, suite: updates, components, keyring },
      { distro: 'debian', mirror: securityMirror, suite: security, components, keyring },
    ];
  }
  // Ubuntu keeps amd64 (and i386) on the archive and every other architecture on the ports mirror.
  const mirror = overrides.mirror
    ?? (architecture === 'amd64' ? 'http://archive.ubuntu.com/ubuntu' : 'http://ports.ubuntu.com/ubuntu-ports');
  return [release, updates, security].map((suite) => ({ distro: 'ubuntu' as const, mirror, suite, components, keyring }));
}

/** presetSuites are the suites a preset's packages come from: the release, its -updates and its -security. */
export function presetSuites(preset: Preset): [string, string, string] {
  return [preset.release, `${preset.release}-updates`, `${preset.release}-security`];
}

/**
 * DISTROLESS_EXCLUDE are packages a Python runtime image never runs: the package manager and its helpers,
 * maintainer-script interpreters, and the shell. Dependencies on them count as satisfied.
 */
export const DISTROLESS_EXCLUDE = [
  'adduser',
  'apt',
  'awk',
  'bash',
  'coreutils',
  'dash',
  'debconf',
  'debianutils',
  'diffutils',
  'dpkg',
  'findutils',
  'grep',
  'gzip',
  'init-system-helpers',
  'libc-bin',
  'lsb-base',
  'mawk',
  'openssl',
  'perl-base',
  'sed',
  'sensible-utils',
  'sysvinit-utils',
  'tar',
  'usrmerge',
  'usr-is-merged',
];

/**
 * DISTROLESS_PACKAGES come with every base, as in Google's distroless: /etc basics, CA certificates, time zones,
 * /etc/services and protocols. ca-certificates' bundle is built by its postinst, which assembly must emulate
 * (openssl, which that script calls, is excluded).
 */
export const DISTROLESS_PACKAGES = ['base-files', 'ca-certificates', 'netbase', 'tzdata'];

/** SLIM_PACKAGES is what `slim` adds on top of distroless: a POSIX shell and the everyday file tools. */
export const SLIM_PACKAGES = ['dash', 'coreutils', 'grep', 'sed', 'findutils', 'gzip', 'tar', 'libc-bin'];

/** Closure says whether a base holds only what runs (`runtime`) or every dependency Debian declares (`full`). */
export type Closure = 'runtime' | 'full';

// Build-only packages: compilers and their drivers, binutils, development files (headers, static libraries,
// pkg-config files), and the Python build tools Debian's scientific stack declares as run-time dependencies
// (python3-scipy -> python3-pythran -> g++ for example). Nothing in a runtime image executes them.
const BUILD_ONLY = [
  /^(gcc|g\+\+|cpp|gfortran|clang|llvm|lld)(-\d+)?$/,
  /^(gcc|g\+\+|cpp|gfortran)-\d+-.+-linux-gnu\w*$/,
  /^binutils(-.+)?$/,
  /-dev$/,
  /^libc-dev-bin$/,
  /^(build-essential|dpkg-dev|make|cmake|ninja-build|pkgconf|pkg-config|autoconf|automake|libtool|swig|patch)$/,
  /^(python3-pythran|cython3|python3-pybind11|python3-numpy-dev|meson|python3-mesonpy)$/,
];

/** isBuildOnly tells whether a package only serves building software (a compiler, binutils, headers, build tools). */
export function isBuildOnly(name: string): boolean {
  return BUILD_ONLY.some((pattern) => pattern.test(name));
}

// Libraries only CPython's optional modules load: readline and curses (interactive terminals), nis (deprecated in
// 3.11, gone in 3.13) and dbm.ndbm (Berkeley DB; dbm falls back to dbm.dumb). Left out only when the stdlib itself
// wants them: another package needing one (say libsasl2 -> libdb5.3) still gets it.
const PYTHON_EXTRAS = new Set(['libdb5.3', 'libncursesw6', 'libnsl2', 'libreadline8', 'libtinfo6', 'libtirpc3']);

/**
 * omitFromRuntime tells whether a runtime closure leaves a dependency out: a build tool (unless the chain already
 * holds one, i.e. the user asked for it), or a library only CPython's interactive or legacy modules load.
 */
export function omitFromRuntime(name: string, chain: readonly string[]): boolean {
  if (isBuildOnly(name)) return !chain.some(isBuildOnly);
  return PYTHON_EXTRAS.has(name) && /^libpython3\.\d+-stdlib$/.test(chain[chain.length - 1] ?? '');
}

/** requestedName is the package a request names (`python3 (>= 3.11)` -> python3); an alternative `a | b` names none. */
export function requestedName(request: string): string | undefined {
  if (request.includes('|')) return undefined;
  return /^\s*([a-z0-9][a-z0-9+.-]*)/.exec(request)?.[1];
}

/**
 * variantPackages says what a variant adds to the request and what it leaves out. A package the user names
 * (`requested`) is never left out by the variant: it comes back as `kept`, for the plan to say so.
 */
export function variantPackages(variant: Variant, requested: readonly string[] = []): { add: string[]; exclude: string[]; kept: string[] } {
  const slim = new Set(variant === 'slim' ? SLIM_PACKAGES : []);
  const named = new Set(requested.map(requestedName).filter((name): name is string => name !== undefined));
  const excluded = DISTROLESS_EXCLUDE.filter((name) => !slim.has(name));
  return {
    add: [...DISTROLESS_PACKAGES, ...slim],
    exclude: excluded.filter((name) => !named.has(name)),
    kept: excluded.filter((name) => named.has(name)),
  };
}

/**
 * excludedRequests lists the packages a base both names (in packages or layers) and excludes: exclude wins, and
 * the plan warns, since the user asked for both.
 */
export function excludedRequests(spec: { packages: readonly string[]; layers?: Record<string, readonly string[]>; exclude: readonly string[] }): string[] {
  const named = new Set([...spec.packages, ...Object.values(spec.layers ?? {}).flat()].map(requestedName));
  return [...new Set(spec.exclude)].filter((name) => named.has(name)).sort();
}
