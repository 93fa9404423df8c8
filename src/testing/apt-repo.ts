// A real, signed apt repository in a temp dir, served over HTTP: tiny .deb files built with dpkg-deb,
// Packages (plain, .gz, .xz), Release and an InRelease clearsigned by a throwaway gpg key.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { xz } from '@napi-rs/lzma';
import type { AptSource, Distro } from '../debian/types.js';
import { clearsign, detachSign, sharedGpgKeys } from './gpg-key.js';
import { serveDir, type ServedDir } from './serve-dir.js';

const run = promisify(execFile);

/** AptRepoFile is a file in a test package: text or bytes (mode 0644), or an explicit mode, or a symlink. */
export type AptRepoFile = string | Buffer | { data: string | Buffer; mode: number } | { symlink: string };

/** AptRepoPackage describes one tiny binary package; relation fields use Debian control syntax verbatim. */
export interface AptRepoPackage {
  name: string;
  version: string;
  /** architecture defaults to `all`, which lands in every architecture's index. */
  architecture?: string;
  component?: string;
  depends?: string;
  preDepends?: string;
  recommends?: string;
  provides?: string;
  conflicts?: string;
  multiArch?: 'same' | 'foreign' | 'allowed';
  source?: string;
  essential?: boolean;
  priority?: string;
  /** files maps paths inside the package (no leading slash) to content. */
  files?: Record<string, AptRepoFile>;
  /** scripts are maintainer scripts (postinst, preinst, ...) placed in the control archive. */
  scripts?: Partial<Record<'preinst' | 'postinst' | 'prerm' | 'postrm', string>>;
  conffiles?: string[];
  /** extra control fields appended as given. */
  control?: Record<string, string>;
  /** deb publishes these bytes instead of what dpkg-deb builds (for hostile packages); the index still describes it. */
  deb?: Buffer;
  /** compression of the .deb members; dpkg-deb's -Z. Defaults to xz, like Debian. */
  compression?: 'xz' | 'gzip' | 'zstd' | 'none';
}

/** AptRepoOptions shapes the repository; everything but packages has a default. */
export interface AptRepoOptions {
  packages: AptRepoPackage[];
  /** suite defaults to `kiln-test`. */
  suite?: string;
  /** codename defaults to the suite. */
  codename?: string;
  origin?: string;
  architectures?: string[];
  /** indexes lists which Packages variants to publish (default all three). */
  indexes?: Array<'plain' | 'gz' | 'xz'>;
  date?: Date;
  validUntil?: Date;
  /** signed: false publishes InRelease without a signature (plain Release text). */
  signed?: boolean;
  distro?: Distro;
  /** components lists the repository's components (default: main plus every component a package names). */
  components?: string[];
  /** suites adds more suites on the same mirror (like bookworm-updates next to bookworm), sharing the pool. */
  suites?: AptRepoSuite[];
}

/** AptRepoSuite is an extra suite: its own packages, codename and dates; the signing follows the main suite. */
export interface AptRepoSuite {
  suite: string;
  codename?: string;
  packages: AptRepoPackage[];
  validUntil?: Date;
  /** components replaces the repository-wide component list for this suite (a pocket that lacks one). */
  components?: string[];
  /**
   * componentPrefix is written before every name in the Release's Components field, as security.debian.org
   * writes `updates/main` for main.
   */
  componentPrefix?: string;
  /**
   * indexDirs says where the Packages files sit and under which paths the Release lists them: `bare` is
   * dists/<suite>/<component>/ (what security.debian.org lists), `prefixed` is dists/<suite>/<prefix><component>/.
   * Defaults to bare.
   */
  indexDirs?: Array<'bare' | 'prefixed'>;
}

/** AptRepo is a running repository; `url` is the mirror base (what AptSource.mirror takes). */
export interface AptRepo {
  url: string;
  dir: string;
  suite: string;
  codename: string;
  components: string[];
  architectures: string[];
  /** keyring is the binary public key that signed InRelease. */
  keyring: string;
  armoredKeyring: string;
  /** strangerKeyring holds a different key: verifying against it must fail. */
  strangerKeyring: string;
  server: ServedDir;
  /** source is an AptSource pointing at this repository. */
  source(overrides?: Partial<AptSource>): AptSource;
  /** debPath is the local path of a package's .deb (first match by name, or name+version). */
  debPath(name: string, version?: string): string;
  /**
   * tamperPackages changes every published Packages variant of one index, leaving Release and InRelease as signed;
   * `component` is the directory below dists/<suite>/ (e.g. `updates/main` for a prefixed index).
   */
  tamperPackages(architecture?: string, component?: string, suite?: string): Promise<void>;
  /** tamperDeb flips one byte in the middle of a package's .deb. */
  tamperDeb(name: string, version?: string): Promise<void>;
  /** tamperInRelease edits the signed text of InRelease so its signature no longer matches. */
  tamperInRelease(): Promise<void>;
  close(): Promise<void>;
}

const EPOCH = 1_700_000_000;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

function contentOf(file: AptRepoFile): { data?: Buffer; mode: number; symlink?: string } {
  if (typeof file === 'string' || Buffer.isBuffer(file)) return { data: Buffer.from(file), mode: 0o644 };
  if ('symlink' in file) return { symlink: file.symlink, mode: 0o777 };
  return { data: Buffer.from(file.data), mode: file.mode };
}

function controlText(fields: Array<[string, string | undefined]>): string {
  return fields.filter(([, value]) => value !== undefined && value !== '').map(([k, v]) => `${k}: ${v}\n`).join('');
}

interface BuiltDeb {
  spec: AptRepoPackage;
  path: string;
  filename: string;
  stanza: string;
}

async function buildDeb(spec: AptRepoPackage, work: string, mirrorDir: string): Promise<BuiltDeb> {
  const arch = spec.architecture ?? 'all';
  const component = spec.component ?? 'main';
  const upstream = spec.version.replace(/^\d+:/, '');
  const tree = join(work, `${spec.name}_${upstream}_${arch}`);
  let installedBytes = 0;
  for (const [path, file] of Object.entries(spec.files ?? {})) {
    const target = join(tree, path);
    await mkdir(dirname(target), { recursive: true });
    const content = contentOf(file);
    if (content.symlink !== undefined) {
      await symlink(content.symlink, target);
    } else {
      await writeFile(target, content.data!);
      await chmod(target, content.mode);
      installedBytes += content.data!.length;
    }
  }
  const fields: Array<[string, string | undefined]> = [
    ['Package', spec.name],
    ['Source', spec.source],
    ['Version', spec.version],
    ['Architecture', arch],
    ['Essential', spec.essential ? 'yes' : undefined],
    ['Multi-Arch', spec.multiArch],
    ['Maintainer', 'kiln tests <test@kiln.invalid>'],
    ['Installed-Size', String(Math.max(1, Math.ceil(installedBytes / 1024)))],
    ['Pre-Depends', spec.preDepends],
    ['Depends', spec.depends],
    ['Recommends', spec.recommends],
    ['Conflicts', spec.conflicts],
    ['Provides', spec.provides],
    ['Section', 'misc'],
    ['Priority', spec.priority ?? 'optional'],
    ...Object.entries(spec.control ?? {}),
    ['Description', `test package ${spec.name}\n .\n Built by kiln's apt-repo test helper.`],
  ];
  const control = controlText(fields);
  await mkdir(join(tree, 'DEBIAN'), { recursive: true });
  await writeFile(join(tree, 'DEBIAN', 'control'), control);
  for (const [name, body] of Object.entries(spec.scripts ?? {})) {
    await writeFile(join(tree, 'DEBIAN', name), body);
    await chmod(join(tree, 'DEBIAN', name), 0o755);
  }
  if (spec.conffiles?.length) await writeFile(join(tree, 'DEBIAN', 'conffiles'), spec.conffiles.map((f) => `${f}\n`).join(''));
  const source = spec.source?.split(' ')[0] ?? spec.name;
  const prefix = source.startsWith('lib') ? source.slice(0, 4) : source.slice(0, 1);
  const filename = `pool/${component}/${prefix}/${source}/${spec.name}_${upstream}_${arch}.deb`;
  const path = join(mirrorDir, filename);
  await mkdir(dirname(path), { recursive: true });
  await run('dpkg-deb', ['--root-owner-group', `-Z${spec.compression ?? 'xz'}`, '--build', tree, path], {
    env: { ...process.env, SOURCE_DATE_EPOCH: String(EPOCH) },
  });
  if (spec.deb) await writeFile(path, spec.deb);
  const deb = await readFile(path);
  const stanza = control.replace(/Description:/, `Filename: ${filename}\nSize: ${deb.length}\nMD5sum: ${md5(deb)}\nSHA256: ${sha256(deb)}\nDescription:`);
  return { spec, path, filename, stanza };
}

function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', 'UTC');
}

// `dir` is the component's directory below dists/<suite>/: its name, or its name behind a prefix like `updates/`.
async function writeIndexes(
  mirrorDir: string, suite: string, component: string, dir: string, arch: string, debs: BuiltDeb[], kinds: Array<'plain' | 'gz' | 'xz'>,
): Promise<string[]> {
  const stanzas = debs
    .filter((d) => (d.spec.component ?? 'main') === component)
    .filter((d) => (d.spec.architecture ?? 'all') === arch || (d.spec.architecture ?? 'all') === 'all')
    .map((d) => d.stanza);
  const plain = Buffer.from(stanzas.join('\n'));
  const rel = `${dir}/binary-${arch}`;
  const target = join(mirrorDir, 'dists', suite, rel);
  await mkdir(target, { recursive: true });
  const written: string[] = [];
  const variants: Array<['plain' | 'gz' | 'xz', string, Buffer]> = [
    ['plain', 'Packages', plain],
    ['gz', 'Packages.gz', gzipSync(plain, { level: 9 })],
    ['xz', 'Packages.xz', await xz.compress(plain)],
  ];
  for (const [kind, name, data] of variants) {
    if (!kinds.includes(kind)) continue;
    await writeFile(join(target, name), data);
    written.push(`${rel}/${name}`);
  }
  return written;
}

async function releaseText(
  mirrorDir: string, suite: string, codename: string, options: Pick<AptRepoOptions, 'origin' | 'date' | 'validUntil'>,
  components: string[], architectures: string[], files: string[],
): Promise<string> {
  const lines = [
    `Origin: ${options.origin ?? 'kiln-test'}`,
    `Label: ${options.origin ?? 'kiln-test'}`,
    `Suite: ${suite}`,
    `Codename: ${codename}`,
    `Date: ${rfc2822(options.date ?? new Date(EPOCH * 1000))}`,
  ];
  if (options.validUntil) lines.push(`Valid-Until: ${rfc2822(options.validUntil)}`);
  lines.push(`Architectures: ${architectures.join(' ')}`, `Components: ${components.join(' ')}`, 'Description: kiln test repository');
  const md5Lines: string[] = [];
  const shaLines: string[] = [];
  for (const file of files) {
    const data = await readFile(join(mirrorDir, 'dists', suite, file));
    md5Lines.push(` ${md5(data)} ${String(data.length).padStart(16)} ${file}`);
    shaLines.push(` ${sha256(data)} ${String(data.length).padStart(16)} ${file}`);
  }
  return [...lines, 'MD5Sum:', ...md5Lines, 'SHA256:', ...shaLines].join('\n') + '\n';
}

/** createAptRepo builds, signs and serves a repository; call close() when done. */
export async function createAptRepo(options: AptRepoOptions): Promise<AptRepo> {
  const suite = options.suite ?? 'kiln-test';
  const codename = options.codename ?? suite;
  const architectures = options.architectures ?? ['amd64', 'arm64'];
  const everything = [...options.packages, ...(options.suites ?? []).flatMap((s) => s.packages)];
  const components = options.components ?? [...new Set(['main', ...everything.map((p) => p.component ?? 'main')])].sort();
  const kinds = options.indexes ?? ['plain', 'gz', 'xz'];
  const [key, stranger] = await sharedGpgKeys();
  const dir = await mkdtemp(join(tmpdir(), 'kiln-apt-repo-'));
  const mirrorDir = join(dir, 'debian');
  const work = join(dir, 'build');
  const debs: BuiltDeb[] = [];
  const suites: AptRepoSuite[] = [
    { suite, codename, packages: options.packages, validUntil: options.validUntil },
    ...(options.suites ?? []),
  ];
  for (const one of suites) {
    const built: BuiltDeb[] = [];
    for (const spec of one.packages) {
      const same = debs.find((d) => d.spec.name === spec.name && d.spec.version === spec.version
        && (d.spec.architecture ?? 'all') === (spec.architecture ?? 'all'));
      built.push(same ?? (await buildDeb(spec, work, mirrorDir)));
    }
    debs.push(...built.filter((b) => !debs.includes(b)));
    const files: string[] = [];
    const prefix = one.componentPrefix ?? '';
    const suiteComponents = one.components ?? components;
    for (const component of suiteComponents) {
      const dirs = (one.indexDirs ?? ['bare']).map((d) => (d === 'bare' ? component : `${prefix}${component}`));
      for (const dir of new Set(dirs)) {
        for (const arch of architectures) files.push(...(await writeIndexes(mirrorDir, one.suite, component, dir, arch, built, kinds)));
      }
    }
    const distsDir = join(mirrorDir, 'dists', one.suite);
    const release = await releaseText(mirrorDir, one.suite, one.codename ?? one.suite, { ...options, validUntil: one.validUntil },
      suiteComponents.map((c) => `${prefix}${c}`), architectures, files);
    await writeFile(join(distsDir, 'Release'), release);
    if (options.signed === false) {
      await writeFile(join(distsDir, 'InRelease'), release);
    } else {
      await clearsign(key, join(distsDir, 'Release'), join(distsDir, 'InRelease'));
      await detachSign(key, join(distsDir, 'Release'), join(distsDir, 'Release.gpg'));
    }
  }
  await rm(work, { recursive: true, force: true });
  const distsDir = join(mirrorDir, 'dists', suite);

  const server = await serveDir(dir);
  const url = `${server.url}/debian`;
  const find = (name: string, version?: string): BuiltDeb => {
    const deb = debs.find((d) => d.spec.name === name && (version === undefined || d.spec.version === version));
    if (!deb) throw new Error(`apt-repo: no package ${name}${version ? ` ${version}` : ''}`);
    return deb;
  };
  const flipByte = async (path: string, at: (length: number) => number): Promise<void> => {
    const data = await readFile(path);
    const i = at(data.length);
    data[i] = data[i]! ^ 0xff;
    await writeFile(path, data);
  };

  return {
    url,
    dir: mirrorDir,
    suite,
    codename,
    components,
    architectures,
    keyring: key.keyring,
    armoredKeyring: key.armoredKeyring,
    strangerKeyring: stranger.keyring,
    server,
    source: (overrides = {}) => ({
      distro: options.distro ?? 'debian', mirror: url, suite, components, keyring: key.keyring, ...overrides,
    }),
    debPath: (name, version) => find(name, version).path,
    async tamperPackages(architecture = 'amd64', component = 'main', which = suite) {
      const rel = join(mirrorDir, 'dists', which, component, `binary-${architecture}`);
      const plain = await readFile(join(rel, kinds.includes('plain') ? 'Packages' : 'Packages.gz'));
      const text = (kinds.includes('plain') ? plain : gunzipSync(plain)).toString('utf8');
      // A plausible attack: same shape, one changed version, so only the hash check can catch it.
      const evil = Buffer.from(text.replace(/^Version: (.*)$/m, 'Version: 99:$1'));
      if (kinds.includes('plain')) await writeFile(join(rel, 'Packages'), evil);
      if (kinds.includes('gz')) await writeFile(join(rel, 'Packages.gz'), gzipSync(evil));
      if (kinds.includes('xz')) await writeFile(join(rel, 'Packages.xz'), await xz.compress(evil));
    },
    tamperDeb: (name, version) => flipByte(find(name, version).path, (n) => Math.floor(n / 2)),
    async tamperInRelease() {
      const path = join(distsDir, 'InRelease');
      const text = await readFile(path, 'utf8');
      await writeFile(path, text.replace(/^Codename: (.*)$/m, 'Codename: $1-evil'));
    },
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
