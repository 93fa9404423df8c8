// The plan's types: plain data on a low floor. Intent (what kiln.yaml asks for) and pins (every input resolved
// to a version and a digest) live side by side, so builders and generators consume data and never re-derive it.
import type { BlobStore } from '../cache/blob-store.js';
import type { DistroBaseSpec } from '../config/schema.js';
import type { RuntimeConfig } from '../oci/spec.js';
import type { ScanPolicy } from './scan-policy.js';

export { DEFAULT_SCAN_POLICY, SEVERITIES, type ScanPolicy, type Severity } from './scan-policy.js';

/** PLAN_FORMAT is the version of the plan file `kiln plan --json` writes and `kiln build --plan` reads. */
// Format 2: `scan` is a gate (severities, ignore-unfixed, ignore file) or false, no longer a boolean.
export const PLAN_FORMAT = 2;

/** DEFAULT_REPORT_FILE is where `kiln report` writes without -o (in the current folder). */
export const DEFAULT_REPORT_FILE = 'kiln-report.html';

/** BaseRef says where an image's base comes from. */
export type BaseRef =
  | { kind: 'scratch' }
  | { kind: 'place'; place: string }
  | { kind: 'distro'; spec: DistroBaseSpec };

/** PlatformSpec is an OCI platform. */
export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

/** PlatformPlan is one platform of a multi-platform entry: its own pins (Debian packages, wheels, base child). */
export interface PlatformPlan {
  platform: PlatformSpec;
  /** pinned holds this platform's resolved inputs; absent until the plan is resolved. */
  pinned?: Pins;
}

/** PythonPlan is an image's `python:` section with every path absolute. */
export interface PythonPlan {
  /** project is the folder holding pyproject.toml and the lock. */
  project: string;
  /** lock is an explicit lock file; absent means detect it in `project`. */
  lock?: string;
  groups: string[];
  extras: string[];
  prefix: string;
  indexUrl?: string;
  extraIndexUrls: string[];
  findLinks: string[];
  split: string[];
  allowUnhashed: boolean;
  installProject: boolean;
  /** buildSdists: `builder` lets sdists that need compiling be built in a builder; pure-Python ones are always built natively. */
  buildSdists?: 'native' | 'builder';
}

/** Destination is one registry an entry is published to; credentials are named, never included. */
export interface Destination {
  /** registry is the name under `registries:` in kiln.yaml. */
  registry: string;
  /** repository is `host[:port]/namespace/image`. */
  repository: string;
  /** references are `docker://repository:tag`, one per tag. */
  references: string[];
  insecure: boolean;
  /** credentials name the environment variables holding them; absent means Docker's config.json. */
  credentials?: { usernameEnv: string; passwordEnv: string };
  /** skipped says why nothing goes to this registry (its only_if or credential variables are unset). */
  skipped?: string;
}

/** PinnedDebPackage is one .deb of a distro base, as kiln.lock pins it. */
export interface PinnedDebPackage {
  name: string;
  version: string;
  architecture: string;
  /** filename is the pool path on the mirror. */
  filename: string;
  sha256: string;
  size: number;
  /** source is the source package, when it differs from the name. */
  source?: string;
  mirror: string;
  /** layer names the base layer (kiln.yaml `layers:`) the package is stacked in; none: the base itself. */
  layer?: string;
}

/** PinnedBase is the base of an entry resolved to exact content. */
export type PinnedBase =
  | { kind: 'scratch' }
  | {
    kind: 'distro';
    /** lockName is the entry's key in kiln.lock. */
    lockName: string;
    codename: string;
    packages: PinnedDebPackage[];
    /** slim is the base's file rules as applied (rule names in order, keep and drop globs). */
    slim?: { rules: string[]; keep: string[]; drop: string[] };
    /** omitted are the packages a runtime closure left out, each with the dependency chain that wanted it (it last). */
    omitted?: Array<{ name: string; chain: string[] }>;
    /** builder is the slim builder base (entry packages + python3-pip) Dockerfile backends use, when locked. */
    builder?: PinnedDebPackage[];
  }
  /**
   * reference is `docker://host/repo:tag@sha256:...`: the tag for people, the digest for bytes. imageDigest is the
   * manifest of the entry's platform when the digest names an index (a multi-platform base): each platform pins its child.
   */
  | { kind: 'registry'; reference: string; digest: string; imageDigest?: string }
  /** place is a local oci:/docker-archive: base; digest is its manifest's. */
  | { kind: 'place'; place: string; digest: string };

/** PythonTarget is the interpreter a venv links to and what wheels are chosen for. */
export interface PythonTarget {
  /** pythonFullVersion is major.minor.micro. */
  pythonFullVersion: string;
  /** interpreter is the command a venv is made with, e.g. /usr/bin/python3. */
  interpreter: string;
  /** executable is the versioned binary, e.g. /usr/bin/python3.11. */
  executable: string;
  libc: { kind: 'glibc' | 'musl'; version: [number, number] };
  /** distroPackages is true when the distro installed Python packages the venv should see. */
  distroPackages: boolean;
  /** from says how the target was learned: the distro package list, or the base's layers. */
  from: 'packages' | 'layers';
}

/** PinnedPythonPackage is one distribution to install: the chosen file, its sha256 and its layer. */
export interface PinnedPythonPackage {
  name: string;
  version: string;
  /** kind: from an index or a URL, a path dependency, a git dependency (built at its commit), or the project itself. */
  kind: 'index' | 'url' | 'path' | 'git' | 'project';
  filename: string;
  /** sha256 of the file; absent only for a package the lock has no hash for (allow_unhashed). */
  sha256?: string;
  size?: number;
  /** url is where the lock says the file is; absent means look it up in find-links and indexes. */
  url?: string;
  /** layer is the history comment of the layer it lands in. */
  layer: string;
  /** source is the folder a path or git dependency or the project is built from, and its content digest. */
  source?: { dir: string; digest: string };
  /** git is where a git dependency comes from: the remote, the commit the lock pins, the folder inside it. */
  git?: { url: string; commit: string; subdirectory?: string };
  /** sdist says the wheel (filename, sha256) was built from this source distribution: no wheel fits the target. */
  sdist?: PinnedSdist;
}

/** PinnedSdist is the source distribution a wheel was built from, checked against the lock's sha256. */
export interface PinnedSdist {
  filename: string;
  sha256: string;
  /** url is where the lock says the sdist is; absent means look it up in find-links and indexes. */
  url?: string;
  /** build: natively by kiln (pure Python, reproducible) or in the builder (python.build_sdists: builder). */
  build: 'native' | 'builder';
}

/** PinnedPython is an image's Python section resolved: target, lock and every package to install. */
export interface PinnedPython {
  target: PythonTarget;
  /** lock is the lock file read, with its sha256. */
  lock: { path: string; sha256: string };
  /** findLinks and indexUrls are where files without a URL are looked up, in order. */
  findLinks: string[];
  indexUrls: string[];
  packages: PinnedPythonPackage[];
}

/**
 * AppPlan is the app layer's folder and where it goes. `exclude` lists kiln's own outputs inside the folder (paths
 * relative to it: generated/, oci: layouts, docker-archive files), which never go into the layer.
 */
export interface AppPlan {
  dir: string;
  dest: string;
  exclude?: string[];
}

/** PinnedApp is the app layer's input: the folder, where it goes, and a digest of what is copied (.dockerignore applied). */
export interface PinnedApp extends AppPlan {
  digest: string;
}

/** Pins are an entry's inputs resolved: nothing after planning reads locks, indexes or tags. */
export interface Pins {
  base: PinnedBase;
  python?: PinnedPython;
  app?: PinnedApp;
}

/** ImagePlan is everything needed to build one image (one matrix entry), as plain data. */
export interface ImagePlan {
  /** name is the entry name: `image`, or `image/suffix` for a matrix entry. */
  name: string;
  /** image is the image's name under `images:`. */
  image: string;
  /** entry holds the matrix values of this entry. */
  entry: Record<string, string>;
  tags: string[];
  destinations: Destination[];
  /** publish is false when the image is marked `publish: false` (or no registry is named). */
  publish: boolean;
  /** scan is the gate publishing this entry passes (false: not scanned before publishing). */
  scan: ScanPolicy | false;
  /** sbom: attach the SBOM (from the pins) to the image in registries and oci: outputs. */
  sbom: boolean;
  immutableTags: boolean;
  base: BaseRef;
  /** platform is the entry's platform; for a multi-platform entry, the first of `platforms`. */
  platform: PlatformSpec;
  /**
   * platforms, when present, lists two or more platforms: the entry builds one image each and publishes them
   * as an OCI image index. Each carries its own pins; the entry's `pinned` is then absent.
   */
  platforms?: PlatformPlan[];
  app?: AppPlan;
  python?: PythonPlan;
  runtime: RuntimeConfig;
  /** annotations go on the manifest and, as labels, into the config. */
  annotations: Record<string, string>;
  /** created is the timestamp written into the config and history (from SOURCE_DATE_EPOCH). */
  created: string;
  epoch: number;
  /** compression is set when the layers are stored as zstd (OCI tar+zstd); absent means gzip. */
  compression?: 'zstd';
  outputs: string[];
  /** docker is what the docker and buildah backends pass to their builder (kiln.yaml `docker:`, kiln build flags). */
  docker?: DockerPassThrough;
  /** pinned holds the resolved inputs; absent until the plan is resolved. */
  pinned?: Pins;
  /** unresolved is why resolving this entry failed (one line): building it fails with it, the other entries build. */
  unresolved?: string;
}

/** PinnedSource is an upstream source (kiln.yaml `sources:`) synced for the plan: its commit, series and clean tree. */
export interface PinnedSource {
  name: string;
  git: string;
  ref: string;
  commit: string;
  paths: string[];
  /** patches are the series in order, each with its sha256 and how it applied. */
  patches: Array<{ name: string; sha256: string; applied: 'clean' | '3-way' }>;
  /** dir is the synced tree (in kiln's cache): `source:NAME/sub` paths of kiln.yaml point into it. */
  dir: string;
  /** version is the first line of the source's version_file, when it names one. */
  version?: string;
}

/** BuildPlan is what `kiln build` will do. */
export interface BuildPlan {
  /** format is PLAN_FORMAT in a plan file. */
  format?: number;
  manifestFile: string;
  /** sources are the upstream sources kiln.yaml names, synced before its entries were expanded. */
  sources?: PinnedSource[];
  images: ImagePlan[];
  /** notices are things a user should know but that are not errors (a registry skipped). */
  notices: string[];
}

/** PlanOptions are the command line's choices. */
export interface PlanOptions {
  /** manifestFile is the kiln.yaml path. */
  manifestFile: string;
  /** overrides are `PATH=VALUE` changes to kiln.yaml (`kiln --set`), applied before validation. */
  overrides?: readonly string[] | undefined;
  /** outputs from -o; `{name}` expands to the image name. They override the manifest's outputs. */
  outputs?: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** only selects entries by name or glob (`server`, `server/3.11-*`); unset means all. */
  only?: string[];
  /** store is the cache sources are synced into (default: $KILN_CACHE_DIR or the XDG cache). */
  store?: BlobStore;
  /** locked refuses a source kiln.lock does not pin (or pins for another ref or series). */
  locked?: boolean;
  log?: (line: string) => void;
}

/** DockerSecret names a secret for `--secret`: a file or a variable, never its content. */
export interface DockerSecret {
  id: string;
  /** src is an absolute file path. */
  src?: string;
  env?: string;
  /** target is where RUN steps of the generated Dockerfile read it (default /run/secrets/<id>). */
  target?: string;
}

/** DockerPassThrough is what a Dockerfile builder is given besides the context: build args, network, secrets. */
export interface DockerPassThrough {
  buildArgs: Record<string, string>;
  network?: string;
  secrets: DockerSecret[];
}
