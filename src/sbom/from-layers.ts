// inventoryFromImage: what an image holds, read from its layers the way scanners read them (dpkg's database and
// Python's installed-distribution metadata), for images kiln did not build and has no plan for.
import { posix } from 'node:path';
import { parseDeb822, type Stanza } from '../debian/deb822.js';
import { InputError, KilnError } from '../errors.js';
import { applyWhiteout, readLimited, walkLayers, type Whiteout } from '../layer/walk.js';
import type { Image } from '../oci/image.js';
import type { ImageConfig } from '../oci/spec.js';
import { sourceDateEpoch } from '../tar/epoch.js';
import type { Inventory, InventoryDeb, InventoryOs, InventoryPython } from './inventory.js';

/**
 * DEBIAN_DIST_PACKAGES is where Debian's own python3-* packages put their modules and dist-info. What lives there is
 * installed by dpkg, so it is listed once, as the Debian package (pkg:deb), as kiln's plan lists it, and matched
 * against Debian's advisories; trivy and cdxgen list it a second time as pkg:pypi. pip never installs there on
 * Debian (it uses /usr/local/lib/pythonX.Y/dist-packages), so anything else under site-/dist-packages is pip's.
 */
export const DEBIAN_DIST_PACKAGES = 'usr/lib/python3/dist-packages/';

const DPKG_STATUS = 'var/lib/dpkg/status';
const DPKG_STATUS_D = 'var/lib/dpkg/status.d/';
const OS_RELEASE = ['etc/os-release', 'usr/lib/os-release'];
// An installed distribution sits directly in a site- or dist-packages folder (system, /usr/local or a venv); dist-info
// folders nested deeper are vendored copies inside another package (setuptools/_vendor/...), not installed ones.
const DIST_INFO = /^(?:.*\/)?(?:site|dist)-packages\/[^/]+\.dist-info\/(METADATA|RECORD)$/;

/** Found is what the walk keeps of one wanted path: file text, or the fact that a file or symlink is there. */
type Found = { kind: 'text'; text: string } | { kind: 'present' } | { kind: 'symlink'; target: string };

function wanted(path: string): 'text' | 'present' | undefined {
  if (path === DPKG_STATUS || OS_RELEASE.includes(path)) return 'text';
  if (path.startsWith(DPKG_STATUS_D) && !path.slice(DPKG_STATUS_D.length).includes('/') && !path.endsWith('.md5sums')) return 'text';
  const distInfo = DIST_INFO.exec(path);
  if (distInfo && !path.startsWith(DEBIAN_DIST_PACKAGES)) return distInfo[1] === 'METADATA' ? 'text' : 'present';
  return undefined;
}

/**
 * wantedFiles walks the layers bottom up and returns the wanted paths of the final filesystem. Each layer's tar is
 * streamed and only the few metadata files are kept. A layer's whiteouts (`.wh.NAME`, and `.wh..wh..opq` for a
 * whole folder) remove what the layers below it had, before its own files land, as the OCI layer spec orders it.
 */
async function wantedFiles(image: Image, where: string): Promise<Map<string, Found>> {
  const files = new Map<string, Found>();
  // Per layer: what it adds, and what it removes (its whiteouts, and kept paths it replaces), applied at its end.
  let added = new Map<string, Found>();
  let replaced: Whiteout[] = [];
  // Folders holding a kept file: a layer replacing one of them with a file or link hides what it held.
  let holders = new Set<string>();
  await walkLayers(image, where, {
    layerStart() {
      holders = new Set([...files.keys()].flatMap((kept) => ancestors(kept)));
    },
    async member(member) {
      const { path, type } = member;
      if (type === 'directory') return;
      if (holders.has(path) || files.has(path)) replaced.push({ path, opaque: false });
      const kind = wanted(path);
      if (kind && type === 'file') added.set(path, kind === 'text' ? { kind: 'text', text: (await readLimited(member.content, path)).toString('utf8') } : { kind: 'present' });
      else if (kind && type === 'symlink') added.set(path, { kind: 'symlink', target: member.linkname ?? '' });
      else if (kind && type === 'hardlink') added.set(path, hardlinked(path, member.linkname ?? '', kind, added, files));
    },
    layerEnd({ whiteouts }) {
      for (const whiteout of [...whiteouts, ...replaced]) applyWhiteout(files, whiteout);
      for (const [path, found] of added) files.set(path, found);
      added = new Map();
      replaced = [];
    },
  });
  return files;
}

function ancestors(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

// A hard link shares its target's bytes; only a target the walk kept can be read again without holding every file.
function hardlinked(path: string, target: string, kind: 'text' | 'present', added: Map<string, Found>, files: Map<string, Found>): Found {
  if (kind === 'present') return { kind: 'present' };
  const found = added.get(target) ?? files.get(target);
  if (found?.kind !== 'text') throw new InputError(`${path} is a hard link to ${target}, which kiln does not read`);
  return found;
}

/** parseOsRelease reads os-release's `KEY=value` lines (values optionally quoted, shell-style). */
export function parseOsRelease(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z0-9_]+)=(.*?)\s*$/.exec(line);
    if (!match) continue;
    let value = match[2]!;
    const quote = value[0];
    if ((quote === '"' || quote === '\'') && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\([$"`\\])/g, '$1');
    }
    fields.set(match[1]!, value);
  }
  return fields;
}

function osOf(files: Map<string, Found>): InventoryOs | undefined {
  // /etc/os-release is usually a symlink to ../usr/lib/os-release; the spec says to read the latter when the former is absent.
  for (const path of OS_RELEASE) {
    const found = files.get(path);
    if (found?.kind !== 'text') continue;
    const fields = parseOsRelease(found.text);
    const id = fields.get('ID');
    if (!id) continue;
    return { id, versionId: fields.get('VERSION_ID') ?? '' };
  }
  return undefined;
}

/**
 * debsFromStatus lists the installed packages in dpkg status text. In dpkg's own status file only
 * `Status: install ok installed` counts (removed packages keep `deinstall ok config-files` stanzas); a distroless
 * status.d file describes one unpacked package and counts unless its Status says otherwise.
 */
export function debsFromStatus(text: string, file: string, requireStatus: boolean): InventoryDeb[] {
  const debs: InventoryDeb[] = [];
  for (const stanza of parseDeb822(text, file)) {
    const status = stanza.get('Status');
    if (status === undefined ? requireStatus : status.split(/\s+/).at(-1) !== 'installed') continue;
    debs.push(debFromStanza(stanza, file));
  }
  return debs;
}

function debFromStanza(stanza: Stanza, file: string): InventoryDeb {
  const where = { file, line: stanza.line };
  const name = stanza.get('Package');
  const version = stanza.get('Version');
  const architecture = stanza.get('Architecture');
  if (!name) throw new InputError('dpkg stanza without a Package field', { where });
  if (!version || !architecture) throw new InputError(`package ${name}: no ${version ? 'Architecture' : 'Version'} field`, { where });
  const deb: InventoryDeb = { name, version, architecture, source: name };
  const source = stanza.get('Source');
  if (source) {
    // `Source: openssl` or, when a binNMU or a separate upload made the versions differ, `Source: openssl (3.0.11-1)`.
    const match = /^(\S+)(?:\s+\(([^)\s]+)\))?$/.exec(source);
    if (!match) throw new InputError(`package ${name}: malformed Source field "${source}"`, { where });
    deb.source = match[1]!;
    if (match[2] && match[2] !== version) deb.sourceVersion = match[2];
  }
  return deb;
}

/** parseCoreMetadata reads Name and Version from a METADATA file's RFC 822 header block (the body is ignored). */
export function parseCoreMetadata(text: string, file: string): { name: string; version: string } {
  const headers = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    if (/^[ \t]/.test(line)) continue;
    const colon = line.indexOf(':');
    if (colon > 0) {
      const key = line.slice(0, colon).toLowerCase();
      if (!headers.has(key)) headers.set(key, line.slice(colon + 1).trim());
    }
  }
  const name = headers.get('name');
  const version = headers.get('version');
  if (!name || !version) throw new InputError(`${file}: no ${name ? 'Version' : 'Name'} header`);
  return { name, version };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** InventoryFromImageOptions names the image in the inventory and in errors. */
export interface InventoryFromImageOptions {
  /** name is how the SBOM and errors name the image: the place it was read from. */
  name: string;
}

/**
 * inventoryFromImage lists the Debian packages (dpkg status and status.d) and installed Python distributions
 * (dist-info with METADATA and RECORD, pip's mark of an installed one) of an image's final filesystem. An image with
 * neither is an error: an empty SBOM would claim, falsely, that nothing is installed.
 */
export async function inventoryFromImage(image: Image, options: InventoryFromImageOptions): Promise<Inventory> {
  const { name } = options;
  const files = await wantedFiles(image, name);
  try {
    return { name, imageDigest: await image.digest(), ...inventoryOfFiles(files, name) };
  } catch (error) {
    // Parse errors name the file in the image (and line); the place says which image.
    if (error instanceof KilnError) throw new InputError(`${name}: ${error.oneLine()}`, { cause: error });
    throw error;
  }
}

function inventoryOfFiles(files: Map<string, Found>, name: string): Omit<Inventory, 'name'> {
  const debs = new Map<string, InventoryDeb>();
  const python = new Map<string, InventoryPython>();
  let databases = 0;
  for (const [path, found] of [...files].sort(([a], [b]) => compareText(a, b))) {
    if (found.kind !== 'text') continue;
    if (path === DPKG_STATUS || path.startsWith(DPKG_STATUS_D)) {
      databases++;
      for (const deb of debsFromStatus(found.text, path, path === DPKG_STATUS)) {
        const key = `${deb.name}:${deb.architecture}`;
        if (!debs.has(key)) debs.set(key, deb);
      }
    } else if (path.endsWith('/METADATA')) {
      // Without RECORD a dist-info is not an installed distribution to pip (a half-done install, or build leftovers).
      if (files.get(`${posix.dirname(path)}/RECORD`)?.kind !== 'present') continue;
      databases++;
      const pkg = parseCoreMetadata(found.text, path);
      python.set(`${pkg.name.toLowerCase().replace(/[-_.]+/g, '-')}@${pkg.version}`, pkg);
    }
  }
  if (databases === 0) throw new InputError('no package database found (no dpkg status, no dist-info)');
  const os = osOf(files);
  return {
    ...(os ? { os } : {}),
    debs: [...debs.values()].sort((a, b) => compareText(a.name, b.name) || compareText(a.architecture, b.architecture)),
    python: [...python.entries()].sort(([a], [b]) => compareText(a, b)).map(([, pkg]) => pkg),
  };
}

/**
 * imageEpoch is the SBOM timestamp of an image read from its layers: SOURCE_DATE_EPOCH when set (the
 * reproducible-builds override), else the config's `created`, so the same image gives the same SBOM bytes.
 */
export function imageEpoch(config: Pick<ImageConfig, 'created'>, env: NodeJS.ProcessEnv): number {
  if (env.SOURCE_DATE_EPOCH) return sourceDateEpoch(env);
  const created = config.created ? Date.parse(config.created) : NaN;
  // Before 1970 (Go's zero time, which some tools write) has no epoch seconds: use kiln's fixed default instead.
  return Number.isFinite(created) && created >= 0 ? Math.floor(created / 1000) : sourceDateEpoch(env);
}
