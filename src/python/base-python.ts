// probeBasePython: what Python and libc a base image offers, read from its layers (file names and the
// dpkg database), so wheels are chosen for the interpreter that will run them.
import { posix } from 'node:path';
import { extract } from 'tar-stream';
import type { BlobStore } from '../cache/blob-store.js';
import { InputError } from '../errors.js';
import { sha256 } from '../oci/digest.js';
import type { Image } from '../oci/image.js';
import type { Libc } from './types.js';

/** BasePython describes the interpreter a venv in this base links to. */
export interface BasePython {
  /** pythonFullVersion is major.minor.micro (micro is 0 when nothing in the base states it). */
  pythonFullVersion: string;
  /** interpreter is the command a venv is made with, e.g. /usr/bin/python3. */
  interpreter: string;
  /** executable is the versioned binary, e.g. /usr/bin/python3.11. */
  executable: string;
  libc: Libc;
  /** distroPackages is true when the distro installed Python packages (Debian's /usr/lib/python3/dist-packages). */
  distroPackages: boolean;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const DIST_PACKAGES = 'usr/lib/python3/dist-packages/';
const MEMO_VERSION = 1;

interface Scan {
  /** paths maps a path (no leading or trailing slash) to its symlink target or '' for other members. */
  paths: Map<string, string>;
  dpkgStatus: string[];
}

function statusWanted(path: string): boolean {
  return path === 'var/lib/dpkg/status' || path.startsWith('var/lib/dpkg/status.d/');
}

// Layers apply in order, with OCI whiteouts (`.wh.name`, `.wh..wh..opq`) removing what lower layers had.
async function scanLayers(image: Image): Promise<Scan> {
  const paths = new Map<string, string>();
  const status = new Map<string, string>();
  for (const layer of await image.layers()) {
    const reader = extract();
    (await layer.uncompressed()).pipe(reader);
    for await (const entry of reader) {
      const path = posix.normalize(entry.header.name.replace(/^\.?\/+/, '')).replace(/\/$/, '');
      const base = posix.basename(path);
      if (base.startsWith('.wh.')) {
        const dir = posix.dirname(path);
        const gone = base === '.wh..wh..opq' ? `${dir}/` : posix.join(dir, base.slice(4));
        for (const key of [...paths.keys()]) if (key === gone || key.startsWith(gone.endsWith('/') ? gone : `${gone}/`)) paths.delete(key);
        for (const key of [...status.keys()]) if (key === gone || key.startsWith(`${gone}/`)) status.delete(key);
        entry.resume();
        continue;
      }
      paths.set(path, entry.header.type === 'symlink' ? entry.header.linkname ?? '' : '');
      if (entry.header.type === 'file' && statusWanted(path)) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(Buffer.from(chunk as Uint8Array));
        status.set(path, Buffer.concat(chunks).toString('utf8'));
      } else {
        entry.resume();
      }
    }
  }
  return { paths, dpkgStatus: [...status.values()] };
}

/** dpkgVersions maps each installed package in dpkg status text (one or many stanzas) to its version. */
export function dpkgVersions(texts: readonly string[]): Map<string, string> {
  const versions = new Map<string, string>();
  for (const text of texts) {
    for (const stanza of text.split(/\n\s*\n/)) {
      const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
      const version = /^Version:\s*(\S+)/m.exec(stanza)?.[1];
      if (name && version) versions.set(name, version);
    }
  }
  return versions;
}

function upstream(version: string): string {
  return version.replace(/^\d+:/, '');
}

function findInterpreter(scan: Scan, pathDirs: string[]): { interpreter: string; executable: string; short: string } | undefined {
  for (const dir of pathDirs) {
    const rel = dir.replace(/^\/+/, '').replace(/\/+$/, '');
    // A merged-/usr link (bin -> usr/bin) is found through its target directory later in PATH.
    if (scan.paths.get(rel)) continue;
    const versions = [...scan.paths.keys()]
      .filter((path) => posix.dirname(path) === rel)
      .map((path) => /^python(3)\.(\d+)$/.exec(posix.basename(path)))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [Number(match[1]), Number(match[2])] as const)
      .sort((a, b) => b[1] - a[1]);
    const best = versions[0];
    if (!best) continue;
    const short = `${best[0]}.${best[1]}`;
    const executable = `/${rel}/python${short}`;
    const interpreter = scan.paths.has(`${rel}/python3`) ? `/${rel}/python3` : executable;
    return { interpreter, executable, short };
  }
  return undefined;
}

function findLibc(scan: Scan, dpkg: Map<string, string>): Libc {
  const libc6 = dpkg.get('libc6');
  const fromDpkg = libc6 ? /^(\d+)\.(\d+)/.exec(upstream(libc6)) : null;
  if (fromDpkg) return { kind: 'glibc', version: [Number(fromDpkg[1]), Number(fromDpkg[2])] };
  let musl = false;
  for (const path of scan.paths.keys()) {
    const name = posix.basename(path);
    const old = /^(?:libc|ld)-(\d+)\.(\d+)\.so$/.exec(name);
    if (old) return { kind: 'glibc', version: [Number(old[1]), Number(old[2])] };
    if (/^ld-musl-.*\.so\.1$/.test(name)) musl = true;
  }
  // Without a version, assume the oldest libc current wheels build for (manylinux2014, musl 1.2).
  return musl ? { kind: 'musl', version: [1, 2] } : { kind: 'glibc', version: [2, 17] };
}

function fullVersion(short: string, dpkg: Map<string, string>, env: Map<string, string>): string {
  for (const name of [`libpython${short}-minimal`, `python${short}-minimal`, `python${short}`]) {
    const version = dpkg.get(name);
    const match = version ? /^(\d+\.\d+\.\d+)/.exec(upstream(version)) : null;
    if (match) return match[1]!;
  }
  // Official python images state it in the config instead.
  const declared = env.get('PYTHON_VERSION');
  if (declared?.startsWith(`${short}.`) && /^\d+\.\d+\.\d+/.test(declared)) return /^\d+\.\d+\.\d+/.exec(declared)![0];
  return `${short}.0`;
}

/** probeBasePython reads the base's layers once per set of diffIds (memoised); a base without Python is an error. */
export async function probeBasePython(image: Image, options: { store: BlobStore; what: string }): Promise<BasePython> {
  const config = await image.config();
  const env = new Map((config.config?.Env ?? []).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)] as const));
  const pathDirs = (env.get('PATH') ?? DEFAULT_PATH).split(':').filter(Boolean);
  const key = sha256(JSON.stringify({ v: MEMO_VERSION, layers: config.rootfs.diff_ids, env: [...env] })).slice(7);
  const memo = await options.store.getMemo<BasePython>('python-base', key);
  if (memo) return memo;
  const scan = await scanLayers(image);
  const found = findInterpreter(scan, pathDirs);
  if (!found) throw new InputError(`${options.what}: the base has no Python interpreter (no python3.X in ${pathDirs.join(':')}); add python3 to the base's packages`);
  const dpkg = dpkgVersions(scan.dpkgStatus);
  const distroPackages = [...scan.paths.keys()].some((path) => path.startsWith(DIST_PACKAGES) && path.length > DIST_PACKAGES.length);
  const result: BasePython = {
    pythonFullVersion: fullVersion(found.short, dpkg, env),
    interpreter: found.interpreter,
    executable: found.executable,
    libc: findLibc(scan, dpkg),
    distroPackages,
  };
  await options.store.setMemo('python-base', key, result);
  return result;
}

// Debian's python3-<module> packages install into /usr/lib/python3/dist-packages; these few are the
// interpreter's own parts (stdlib extensions, headers, docs) and install nothing there.
const NOT_DIST_PACKAGES = new Set(['minimal', 'venv', 'distutils', 'lib2to3', 'tk', 'gdbm', 'dev', 'dbg', 'doc', 'examples', 'full', 'all', 'stdlib-extensions']);

/**
 * pythonFromPackages tells a distro base's Python from its pinned package list (python3.X, libc6 versions),
 * so planning needs no layer of the base; undefined when no python3.X package is among them.
 */
export function pythonFromPackages(packages: ReadonlyArray<{ name: string; version: string }>): BasePython | undefined {
  const versions = new Map(packages.map((pkg) => [pkg.name, pkg.version] as const));
  const minors = packages
    .map((pkg) => /^python3\.(\d+)(?:-minimal)?$/.exec(pkg.name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => Number(match[1]))
    .sort((a, b) => b - a);
  if (minors.length === 0) return undefined;
  const short = `3.${minors[0]}`;
  const libc6 = versions.get('libc6');
  const libc = libc6 ? /^(\d+)\.(\d+)/.exec(upstream(libc6)) : null;
  return {
    pythonFullVersion: fullVersion(short, versions, new Map()),
    // python3-minimal owns the /usr/bin/python3 link.
    interpreter: versions.has('python3-minimal') || versions.has('python3') ? '/usr/bin/python3' : `/usr/bin/python${short}`,
    executable: `/usr/bin/python${short}`,
    libc: libc ? { kind: 'glibc', version: [Number(libc[1]), Number(libc[2])] } : { kind: 'glibc', version: [2, 17] },
    distroPackages: packages.some((pkg) => pkg.name.startsWith('python3-') && !NOT_DIST_PACKAGES.has(pkg.name.slice('python3-'.length))),
  };
}
