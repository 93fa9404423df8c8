// Types shared by the Python side: lock readers and selection (src/python/lock) and wheels
// (tags, index client, downloads, installer). Plain data, so a plan can print and compare them.

/** TargetEnvironment describes the image's Python: what PEP 508 markers and wheel tags are evaluated against. */
export interface TargetEnvironment {
  /** pythonVersion is major.minor, e.g. '3.11' (marker `python_version`). */
  pythonVersion: string;
  /** pythonFullVersion is major.minor.micro, e.g. '3.11.2' (markers `python_full_version`, `implementation_version`). */
  pythonFullVersion: string;
  /** implementation is `sys.implementation.name` (marker `implementation_name`). */
  implementation: 'cpython';
  /** sysPlatform is `sys.platform` (marker `sys_platform`). */
  sysPlatform: 'linux';
  /** platformMachine is `platform.machine()`, e.g. 'x86_64' or 'aarch64' (marker `platform_machine`). */
  platformMachine: string;
  /** osName is `os.name` (marker `os_name`). */
  osName: 'posix';
  /** platformSystem is `platform.system()` (marker `platform_system`). */
  platformSystem: 'Linux';
  /** platformRelease is `platform.release()` (the kernel); unknown at build time, so usually ''. */
  platformRelease?: string;
  /** libc decides manylinux versus musllinux wheels and their minimum version. */
  libc: Libc;
}

/** Libc is the C library of the base image and its major.minor version. */
export type Libc = { kind: 'glibc'; version: [number, number] } | { kind: 'musl'; version: [number, number] };

/** FileHashes maps a hash algorithm (`sha256`, `sha512`, ...) to a lowercase hex digest. */
export type FileHashes = Record<string, string>;

/** LockedFile is one distribution file (wheel or sdist) a lock allows for a package. */
export interface LockedFile {
  /** filename is '' when the lock names only a hash (requirements.txt `--hash`): any file of the version with that hash. */
  filename: string;
  /** url is where the lock says the file lives; absent when only an index is known. */
  url?: string;
  hashes: FileHashes;
  size?: number;
}

/** PackageSource says where a locked package comes from. */
export type PackageSource =
  | { kind: 'index'; url?: string }
  /** path is absolute (resolved against the lock's folder); develop records an editable request, which kiln ignores. */
  | { kind: 'path'; path: string; develop: boolean }
  | { kind: 'url'; url: string; subdirectory?: string }
  | { kind: 'git'; url: string; reference?: string; commit?: string; subdirectory?: string };

/** Requirement is a parsed PEP 508 requirement: `name[extras] specifier ; marker` or `name @ url ; marker`. */
export interface Requirement {
  /** name is PEP 503-normalised: lowercase, runs of `-_.` become `-`. */
  name: string;
  extras: string[];
  /** specifier is a PEP 440 specifier set such as '>=1.0,<2', or '' for any version (Poetry unions: `a || b`). */
  specifier: string;
  url?: string;
  /** marker is the PEP 508 marker text (after `;`), evaluated by src/python/markers.ts. */
  marker?: string;
}

/** LockedDependency is an edge in the lock's graph; `version` pins one of several locked versions of the same name. */
export interface LockedDependency extends Requirement {
  version?: string;
}

/** RootRequirement is a requirement of the project itself, in a dependency group (`main` is the default group). */
export interface RootRequirement extends LockedDependency {
  group: string;
}

/** LockedPackage is one pinned package of a lock. */
export interface LockedPackage {
  /** name is PEP 503-normalised. */
  name: string;
  version: string;
  source: PackageSource;
  files: LockedFile[];
  /** dependencies are this package's edges; optional ones carry an `extra == "..."` marker. */
  dependencies: LockedDependency[];
  /** requiresPython is the package's `Requires-Python`, when the lock records it. */
  requiresPython?: string;
}

/** PackageIndex is a PEP 503 / 691 index the lock names. */
export interface PackageIndex {
  url: string;
  name?: string;
}

/** LockFormat names the lock readers in src/python/lock/index.ts. */
export type LockFormat = 'poetry' | 'uv' | 'requirements' | 'pylock';

/** PythonLock is what every lock reader produces: the project's root requirements and the locked packages. */
export interface PythonLock {
  format: LockFormat;
  /** path of the lock file that was read. */
  path: string;
  /** project is the root project, when the lock (or its pyproject.toml) names it. */
  project?: { name: string; version?: string };
  requiresPython?: string;
  /** extras the project offers and groups it has (`main` included): what SelectOptions may name. */
  extras: string[];
  groups: string[];
  /** roots are the project's own requirements; selection walks the graph from them. */
  roots: RootRequirement[];
  packages: LockedPackage[];
  /** indexes in priority order; the first is the primary index. */
  indexes: PackageIndex[];
  /** findLinks are pip `--find-links` locations (URLs or absolute paths). */
  findLinks: string[];
}

/** SelectOptions chooses which part of a lock to install. */
export interface SelectOptions {
  /** groups to install; default ['main']. */
  groups?: string[];
  /** extras of the root project to install. */
  extras?: string[];
  /** allowUnhashed accepts index or URL packages without a hash (refused by default). */
  allowUnhashed?: boolean;
}
