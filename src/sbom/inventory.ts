// An Inventory is what is installed in one image, as plain data: the one shape SBOM writers render and scans match,
// whether it was read from a pinned plan (exact: every .deb and wheel with its hash) or from an image's layers.
import { InputError } from '../errors.js';
import { OS_RELEASES, osReleaseByCodename } from '../debian/os-releases.js';
import type { InstalledPackage } from '../osv/match.js';
import type { ImagePlan, PinnedBase } from '../plan/types.js';

/** InventoryOs is the distribution release the Debian packages belong to, as /etc/os-release names it. */
export interface InventoryOs {
  /** id is os-release's ID: `debian`, `ubuntu`. */
  id: string;
  /** versionId is os-release's VERSION_ID: `12`, `24.04`. */
  versionId: string;
}

/** InventoryDeb is one installed Debian/Ubuntu binary package. */
export interface InventoryDeb {
  name: string;
  version: string;
  architecture: string;
  /** source is the source package, which advisories are keyed by; equals name when the package names none. */
  source: string;
  /** sourceVersion is the source package's version when it differs from the binary's (binNMUs). */
  sourceVersion?: string;
  /** sha256 and filename of the .deb: known from a plan, not from an installed system. */
  sha256?: string;
  filename?: string;
  /** url is where the .deb was fetched from: the mirror and the pool path (plan only). */
  url?: string;
}

/** InventoryPython is one installed Python distribution. */
export interface InventoryPython {
  name: string;
  version: string;
  /** kind: from an index or a URL, a path or git dependency, or the project itself (plan only). */
  kind?: 'index' | 'url' | 'path' | 'git' | 'project';
  /** filename and sha256 of the wheel installed (plan only). */
  filename?: string;
  sha256?: string;
  url?: string;
  /** layer is the history comment of the layer it lands in (plan only). */
  layer?: string;
  /** sourceDigest is the content digest of a path dependency's or the project's folder (plan only). */
  sourceDigest?: string;
}

/** InventoryBase is an image base that is not assembled from packages: named by its manifest digest. */
export type InventoryBase =
  | { kind: 'registry'; reference: string; digest: string }
  | { kind: 'place'; place: string; digest: string };

/** Inventory is everything an SBOM lists and a scan matches for one image. */
export interface Inventory {
  /** name is the entry name (or the place an image was read from). */
  name: string;
  /** imageDigest is the manifest digest of the image the inventory was read from (layer inventories only). */
  imageDigest?: string;
  os?: InventoryOs;
  /** base is a registry or local base by digest; distro bases appear as os + debs instead. */
  base?: InventoryBase;
  /** appDigest is the digest of the app folder's content, for entries with an app. */
  appDigest?: string;
  debs: InventoryDeb[];
  python: InventoryPython[];
}

/** inventoryFromPlan lists what a pinned entry installs: exactly the plan's .debs and wheels, with their hashes. */
export function inventoryFromPlan(entry: ImagePlan): Inventory {
  const pins = entry.pinned;
  if (!pins) throw new InputError(`entry "${entry.name}" pins nothing: an SBOM needs a resolved plan (kiln plan --json)`);
  const inventory: Inventory = { name: entry.name, python: [], ...baseOf(entry.name, pins.base) };
  if (pins.app) inventory.appDigest = pins.app.digest;
  for (const pkg of pins.python?.packages ?? []) {
    inventory.python.push({
      name: pkg.name,
      version: pkg.version,
      kind: pkg.kind,
      filename: pkg.filename,
      layer: pkg.layer,
      ...(pkg.sha256 ? { sha256: pkg.sha256 } : {}),
      ...(pkg.kind === 'url' && pkg.url ? { url: pkg.url } : {}),
      ...(pkg.source ? { sourceDigest: pkg.source.digest } : {}),
    });
  }
  return inventory;
}

function baseOf(entryName: string, base: PinnedBase): Pick<Inventory, 'os' | 'base' | 'debs'> {
  switch (base.kind) {
    case 'scratch':
      return { debs: [] };
    case 'registry':
      return { base: { kind: 'registry', reference: base.reference, digest: base.digest }, debs: [] };
    case 'place':
      return { base: { kind: 'place', place: base.place, digest: base.digest }, debs: [] };
    case 'distro': {
      const release = osReleaseByCodename(base.codename);
      if (!release) {
        throw new InputError(`entry "${entryName}": release "${base.codename}" is not one kiln knows (known: ${Object.values(OS_RELEASES).map((known) => known.codename).join(', ')})`);
      }
      return {
        os: { id: release.id, versionId: release.versionId },
        debs: base.packages.map((pkg) => ({
          name: pkg.name,
          version: pkg.version,
          architecture: pkg.architecture,
          ...sourceOf(pkg.name, pkg.source),
          sha256: pkg.sha256,
          filename: pkg.filename,
          url: `${pkg.mirror.replace(/\/+$/, '')}/${pkg.filename}`,
        })),
      };
    }
  }
}

/**
 * sourceOf reads a control file's `Source:` field, which names the source package and, when a binNMU or a
 * different upstream version sets it apart from the binary's, its version in brackets: `bzip2 (1.0.8-5)`.
 */
export function sourceOf(name: string, field: string | undefined): Pick<InventoryDeb, 'source' | 'sourceVersion'> {
  const match = field === undefined ? undefined : /^(\S+)(?:\s+\(([^()\s]+)\))?$/.exec(field.trim());
  if (!match) return { source: field?.trim() || name };
  return { source: match[1]!, ...(match[2] ? { sourceVersion: match[2] } : {}) };
}

/** osvEcosystem is OSV's ecosystem name for a release: `Debian:12`, `Ubuntu:24.04`; undefined for one OSV lacks. */
export function osvEcosystem(os: InventoryOs): string | undefined {
  if (os.id === 'debian') return /^\d+$/.test(os.versionId) ? `Debian:${os.versionId}` : undefined;
  if (os.id === 'ubuntu') return /^\d+\.\d+$/.test(os.versionId) ? `Ubuntu:${os.versionId}` : undefined;
  return undefined;
}

/**
 * installedPackages is the inventory as a scan matches it. Debian packages need a release OSV knows: without one
 * they cannot be matched, and saying "no vulnerabilities" would be a lie, so that is an error.
 */
export function installedPackages(inventory: Inventory): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  if (inventory.debs.length > 0) {
    const ecosystem = inventory.os ? osvEcosystem(inventory.os) : undefined;
    if (!ecosystem) {
      const os = inventory.os ? `${inventory.os.id} ${inventory.os.versionId}` : 'an unknown release';
      throw new InputError(`${inventory.name}: its Debian packages come from ${os}, which OSV has no advisories for`);
    }
    for (const deb of inventory.debs) {
      packages.push({
        ecosystem,
        name: deb.name,
        version: deb.version,
        source: deb.source,
        ...(deb.sourceVersion ? { sourceVersion: deb.sourceVersion } : {}),
      });
    }
  }
  for (const pkg of inventory.python) packages.push({ ecosystem: 'PyPI', name: pkg.name, version: pkg.version });
  return packages;
}
