// maintainerEffects: the files maintainer scripts would have made, reproduced without running any script.
//
// kiln never runs preinst/postinst. What a working runtime needs from them is written as plain files:
//   - /etc/passwd and /etc/group: root (0), nonroot (65532, home /home/nonroot) and nobody (65534), with
//     groups root, tty, staff, nonroot, nobody. No /etc/shadow: nobody logs in to a server image.
//   - /home/nonroot (0700, owned 65532:65532), /root (0700), /tmp (1777).
//   - /etc/os-release: base-files' copy when installed, else generated from the preset (ID, VERSION_ID,
//     VERSION_CODENAME, PRETTY_NAME); /etc/os-release -> ../usr/lib/os-release when only the latter exists.
//   - /etc/nsswitch.conf (files, dns for hosts) when no package ships it (base-files' postinst writes it).
//   - ca-certificates: /etc/ssl/certs/ca-certificates.crt, every /usr/share/ca-certificates/**/*.crt in
//     bytewise path order each ending in a newline (as update-ca-certificates does), the per-certificate
//     /etc/ssl/certs/<name>.pem links, /etc/ca-certificates.conf, and /usr/lib/ssl/{cert.pem,certs} links
//     when the openssl package (which ships them) is absent, so libssl3 alone finds the bundle.
//     The OpenSSL subject-hash links (<hash>.0) are not made; OpenSSL and Python use the bundle file.
//   - python3.X-minimal: /usr/bin/python3 -> python3.X when python3-minimal is not installed, and the
//     /usr/local/lib/python3.X/dist-packages directories its postinst creates. Byte-compiling is skipped
//     (Python compiles lazily; images that run read-only simply skip writing .pyc files).
//   - tzdata: /etc/localtime -> /usr/share/zoneinfo/Etc/UTC and /etc/timezone, as its postinst does in a
//     non-interactive install.
// Not reproduced: ldconfig's /etc/ld.so.cache (glibc searches the multiarch directories without it),
// alternatives (update-alternatives links), systemd/init units, and dpkg triggers.
import type { TarEntry } from '../tar/entry.js';
import { compareEntryPaths, contentBytes } from '../tar/entry.js';

/** OsRelease identifies the distribution release an image is assembled from. */
export interface OsRelease {
  id: string;
  versionId: string;
  codename: string;
  prettyName: string;
}

/** EffectsInput is the merged package tree the effects are computed from. */
export interface EffectsInput {
  /** files maps merged-/usr paths to entries (after trimming and overlaps). */
  files: ReadonlyMap<string, TarEntry>;
  /** packages are the names of the installed packages. */
  packages: ReadonlySet<string>;
  os: OsRelease;
}

/** NONROOT_UID is the uid and gid of the `nonroot` user, as in Google's distroless images. */
export const NONROOT_UID = 65532;

function file(path: string, text: string | Buffer, mode = 0o644): TarEntry {
  const data = typeof text === 'string' ? Buffer.from(text) : text;
  return { path, type: 'file', mode, content: { kind: 'buffer', data }, size: data.length };
}

function symlink(path: string, linkTarget: string): TarEntry {
  return { path, type: 'symlink', mode: 0o777, linkTarget };
}

function dir(path: string, mode = 0o755, owner = 0): TarEntry {
  return { path, type: 'directory', mode, uid: owner, gid: owner };
}

function accounts(): TarEntry[] {
  const passwd = [
    'root:x:0:0:root:/root:/sbin/nologin',
    `nonroot:x:${NONROOT_UID}:${NONROOT_UID}:nonroot:/home/nonroot:/sbin/nologin`,
    'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin',
  ];
  const group = ['root:x:0:', 'tty:x:5:', 'staff:x:50:', `nonroot:x:${NONROOT_UID}:`, 'nogroup:x:65534:'];
  return [
    file('etc/passwd', passwd.join('\n') + '\n'),
    file('etc/group', group.join('\n') + '\n'),
    dir('home'),
    dir('home/nonroot', 0o700, NONROOT_UID),
    dir('root', 0o700),
    dir('tmp', 0o1777),
  ];
}

function quoted(value: string): string {
  return /^[A-Za-z0-9._-]+$/.test(value) ? value : JSON.stringify(value);
}

function osRelease(input: EffectsInput): TarEntry[] {
  if (input.files.has('etc/os-release')) return [];
  if (input.files.has('usr/lib/os-release')) return [symlink('etc/os-release', '../usr/lib/os-release')];
  const { os } = input;
  const lines = [
    `PRETTY_NAME=${quoted(os.prettyName)}`,
    `ID=${quoted(os.id)}`,
    `VERSION_ID=${quoted(os.versionId)}`,
    `VERSION_CODENAME=${quoted(os.codename)}`,
  ];
  return [file('etc/os-release', lines.join('\n') + '\n')];
}

const NSSWITCH = [
  'passwd:         files',
  'group:          files',
  'shadow:         files',
  'hosts:          files dns',
  'networks:       files',
  'protocols:      files',
  'services:       files',
  'ethers:         files',
  'rpc:            files',
].join('\n') + '\n';

function nsswitch(input: EffectsInput): TarEntry[] {
  return input.files.has('etc/nsswitch.conf') ? [] : [file('etc/nsswitch.conf', NSSWITCH)];
}

const CA_ROOT = 'usr/share/ca-certificates/';

function pemName(crtPath: string): string {
  // update-ca-certificates' own renaming: spaces to _, parentheses to =, commas to _.
  const base = crtPath.slice(crtPath.lastIndexOf('/') + 1).replace(/\.crt$/, '');
  return base.replace(/ /g, '_').replace(/[()]/g, '=').replace(/,/g, '_') + '.pem';
}

function caCertificates(input: EffectsInput): TarEntry[] {
  if (!input.packages.has('ca-certificates')) return [];
  const certs = [...input.files.values()]
    .filter((entry) => entry.type === 'file' && entry.path.startsWith(CA_ROOT) && entry.path.endsWith('.crt'))
    .sort((a, b) => compareEntryPaths(a.path, b.path));
  const parts: Buffer[] = [];
  const entries: TarEntry[] = [];
  for (const cert of certs) {
    const data = contentBytes(cert) ?? Buffer.alloc(0);
    parts.push(data);
    if (data.length && data[data.length - 1] !== 0x0a) parts.push(Buffer.from('\n'));
    entries.push(symlink(`etc/ssl/certs/${pemName(cert.path)}`, `/${cert.path}`));
  }
  const conf = '# Generated by kiln from the certificates ca-certificates ships.\n'
    + certs.map((cert) => cert.path.slice(CA_ROOT.length)).join('\n') + (certs.length ? '\n' : '');
  entries.push(file('etc/ssl/certs/ca-certificates.crt', Buffer.concat(parts)), file('etc/ca-certificates.conf', conf));
  if (!input.files.has('usr/lib/ssl/cert.pem')) {
    entries.push(symlink('usr/lib/ssl/cert.pem', '/etc/ssl/certs/ca-certificates.crt'), symlink('usr/lib/ssl/certs', '/etc/ssl/certs'));
  }
  return entries;
}

function python(input: EffectsInput): TarEntry[] {
  const entries: TarEntry[] = [];
  const versions = [...input.packages]
    .map((name) => /^python3\.(\d+)-minimal$/.exec(name)?.[1])
    .filter((minor): minor is string => minor !== undefined)
    .sort((a, b) => Number(a) - Number(b));
  for (const minor of versions) {
    entries.push(dir(`usr/local/lib/python3.${minor}`), dir(`usr/local/lib/python3.${minor}/dist-packages`));
  }
  const newest = versions.at(-1);
  if (newest && !input.files.has('usr/bin/python3') && input.files.has(`usr/bin/python3.${newest}`)) {
    entries.push(symlink('usr/bin/python3', `python3.${newest}`));
  }
  return entries;
}

function tzdata(input: EffectsInput): TarEntry[] {
  if (!input.packages.has('tzdata')) return [];
  const entries: TarEntry[] = [];
  if (!input.files.has('etc/localtime')) entries.push(symlink('etc/localtime', '/usr/share/zoneinfo/Etc/UTC'));
  if (!input.files.has('etc/timezone')) entries.push(file('etc/timezone', 'Etc/UTC\n'));
  return entries;
}

/** maintainerEffects lists the entries kiln adds on top of the packages (see the block comment above). */
export function maintainerEffects(input: EffectsInput): TarEntry[] {
  return [...accounts(), ...osRelease(input), ...nsswitch(input), ...caCertificates(input), ...python(input), ...tzdata(input)];
}

/** effectsEnv is the environment the effects imply, for the image config. */
export function effectsEnv(packages: ReadonlySet<string>): string[] {
  const env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
  if (packages.has('ca-certificates')) env.push('SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt');
  return env;
}
