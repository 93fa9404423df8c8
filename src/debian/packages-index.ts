// Packages indexes: downloaded, checked against the verified Release (size + SHA256) before any parsing,
// cached in the BlobStore by their digest, decompressed and turned into package records.
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { BlobStore } from '../cache/blob-store.js';
import { errorMessage, InputError } from '../errors.js';
import type { Digest } from '../oci/digest.js';
import { parseDeb822, type Stanza } from './deb822.js';
import { httpGet, isNotFound, type HttpOptions } from './mirror.js';
import { componentDirs, distsUrl, type FetchedRelease } from './release.js';

const gunzipAsync = promisify(gunzip);

/** PackageRecord is one stanza of a Packages index with the fields the resolver needs pulled out. */
export interface PackageRecord {
  name: string;
  version: string;
  architecture: string;
  multiArch?: string;
  essential: boolean;
  preDepends?: string;
  depends?: string;
  recommends?: string;
  provides?: string;
  filename: string;
  size: number;
  sha256: string;
  source?: string;
  installedSize?: number;
  /** mirror and suite say which source the record came from. */
  mirror: string;
  suite: string;
  stanza: Stanza;
}

/** PackagesIndex is one verified index: a component and architecture of one source. */
export interface PackagesIndex {
  url: string;
  component: string;
  architecture: string;
  /** sha256 of the (compressed) file as listed in Release. */
  sha256: string;
  packages: PackageRecord[];
}

/** toRecord pulls the resolver's fields out of a stanza; `where` names the index in errors. */
export function toRecord(stanza: Stanza, mirror: string, suite: string, where: string): PackageRecord {
  const need = (field: string): string => {
    const value = stanza.get(field);
    if (value === undefined) throw new InputError(`${where}:${stanza.line}: package stanza has no ${field}`);
    return value;
  };
  const installed = stanza.get('Installed-Size');
  return {
    name: need('Package'),
    version: need('Version'),
    architecture: need('Architecture'),
    multiArch: stanza.get('Multi-Arch'),
    essential: stanza.get('Essential') === 'yes',
    preDepends: stanza.get('Pre-Depends'),
    depends: stanza.get('Depends'),
    recommends: stanza.get('Recommends'),
    provides: stanza.get('Provides'),
    filename: need('Filename'),
    size: Number(need('Size')),
    sha256: need('SHA256'),
    source: stanza.get('Source'),
    installedSize: installed === undefined ? undefined : Number(installed),
    mirror,
    suite,
    stanza,
  };
}

/** parsePackages turns an uncompressed Packages file into records. */
export function parsePackages(text: string, mirror: string, suite: string, where: string): PackageRecord[] {
  return parseDeb822(text, where).map((stanza) => toRecord(stanza, mirror, suite, where));
}

async function decompress(data: Buffer, path: string, url: string): Promise<Buffer> {
  try {
    if (path.endsWith('.xz')) return await (await import('@napi-rs/lzma')).xz.decompress(data);
    if (path.endsWith('.gz')) return await gunzipAsync(data);
    return data;
  } catch (error) {
    throw new InputError(`${url}: cannot decompress: ${errorMessage(error)}`, { cause: error });
  }
}

/**
 * fetchPackagesIndex gets `<component>/binary-<arch>/Packages` in the best compression the Release lists
 * (xz, then gz, then plain, moving on when a mirror lacks a file), verified against the Release. A component
 * the Release carries only as `updates/<component>` is found under either spelling; one it does not carry at
 * all is an error, never an empty index.
 */
export async function fetchPackagesIndex(
  fetched: FetchedRelease, component: string, architecture: string, store: BlobStore, options: HttpOptions = {},
): Promise<PackagesIndex> {
  const base = distsUrl(fetched.source);
  const dirs = componentDirs(fetched.release, component);
  if (dirs.length === 0) {
    throw new InputError(`suite ${fetched.source.suite} has no component "${component}" (${fetched.url} lists ${fetched.release.components.join(' ')})`);
  }
  const candidates = dirs
    .flatMap((dir) => ['Packages.xz', 'Packages.gz', 'Packages'].map((name) => `${dir}/binary-${architecture}/${name}`))
    .filter((path) => fetched.release.files.has(path));
  if (candidates.length === 0) throw new InputError(`${fetched.url} lists no Packages index for ${component}/binary-${architecture}`);
  let lastMissing: unknown;
  for (const path of candidates) {
    const listed = fetched.release.files.get(path)!;
    const url = `${base}/${path}`;
    const digest: Digest = `sha256:${listed.sha256}`;
    if (!(await store.has(digest))) {
      let data: Buffer;
      try {
        data = await httpGet(url, options);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        lastMissing = error;
        continue;
      }
      // Checked before a single byte is decompressed or parsed; nothing is stored on mismatch.
      await store.writeBuffer(data, { digest, size: listed.size }, url);
    }
    const text = (await decompress(await store.read(digest), path, url)).toString('utf8');
    const packages = parsePackages(text, fetched.source.mirror, fetched.source.suite, url);
    return { url, component, architecture, sha256: listed.sha256, packages };
  }
  throw lastMissing;
}
