// InRelease: fetched, its OpenPGP cleartext signature verified against the source's keyring, then parsed.
// Only the signed text is ever parsed, so nothing outside the signature can steer what we trust.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type * as openpgp from 'openpgp';
import { errorMessage, InputError, IntegrityError } from '../errors.js';
import { parseDeb822 } from './deb822.js';
import { httpGet, type HttpOptions } from './mirror.js';
import type { AptSource } from './types.js';

/** IndexFile is one entry of a Release file's SHA256 list. */
export interface IndexFile {
  sha256: string;
  size: number;
}

/** Release is the parsed, verified content of an InRelease file. */
export interface Release {
  origin?: string;
  label?: string;
  suite?: string;
  codename?: string;
  /** date as written (RFC 2822), kept verbatim for the lock. */
  date?: string;
  validUntil?: string;
  architectures: string[];
  components: string[];
  acquireByHash: boolean;
  /** files maps paths relative to dists/<suite>/ to their SHA256 and size. */
  files: Map<string, IndexFile>;
}

/** FetchedRelease is a verified Release plus where it came from and the digest of the exact bytes fetched. */
export interface FetchedRelease {
  source: AptSource;
  url: string;
  /** sha256 of the InRelease file as downloaded (hex). */
  sha256: string;
  release: Release;
}

/** ReleaseOptions adds the clock used to check Valid-Until (tests move it). */
export interface ReleaseOptions extends HttpOptions {
  now?: Date;
}

/** distsUrl is the base URL of a source's dists/<suite>/ directory (no trailing slash). */
export function distsUrl(source: Pick<AptSource, 'mirror' | 'suite'>): string {
  return `${source.mirror.replace(/\/+$/, '')}/dists/${source.suite}`;
}

const keyrings = new Map<string, Promise<openpgp.PublicKey[]>>();

/** loadKeyring reads a binary (.gpg) or armored (.asc) keyring, once per path. */
export function loadKeyring(path: string): Promise<openpgp.PublicKey[]> {
  let keys = keyrings.get(path);
  if (!keys) {
    keys = (async () => {
      let data: Buffer;
      try {
        data = await readFile(path);
      } catch (error) {
        throw new InputError(`keyring ${path}: ${errorMessage(error)}`, { cause: error });
      }
      try {
        const openpgp = await import('openpgp');
        const text = data.subarray(0, 64).toString('latin1');
        return text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')
          ? await openpgp.readKeys({ armoredKeys: data.toString('utf8') })
          : await openpgp.readKeys({ binaryKeys: data });
      } catch (error) {
        throw new InputError(`keyring ${path} is not an OpenPGP keyring: ${errorMessage(error)}`, { cause: error });
      }
    })();
    keyrings.set(path, keys);
    keys.catch(() => keyrings.delete(path));
  }
  return keys;
}

/**
 * verifyInRelease checks that `data` is cleartext-signed by at least one key in the keyring and returns the
 * signed text. `url` names the file in errors.
 */
export async function verifyInRelease(data: Buffer | string, keyring: string, url: string, now = new Date()): Promise<string> {
  const armored = data.toString();
  if (!armored.trimStart().startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) {
    throw new IntegrityError(`${url} is not signed (no OpenPGP cleartext signature)`);
  }
  // openpgp is loaded only when a signature is checked: a build from a warm lock checks none.
  const openpgp = await import('openpgp');
  let message: openpgp.CleartextMessage;
  try {
    message = await openpgp.readCleartextMessage({ cleartextMessage: armored });
  } catch (error) {
    throw new IntegrityError(`${url}: unreadable OpenPGP signature: ${errorMessage(error)}`, { cause: error });
  }
  const keys = await loadKeyring(keyring);
  const result = await openpgp.verify({ message, verificationKeys: keys, date: now });
  const problems: string[] = [];
  for (const signature of result.signatures) {
    try {
      await signature.verified;
      return message.getText();
    } catch (error) {
      problems.push(errorMessage(error));
    }
  }
  if (problems.length && problems.every((p) => /could not find signing key/i.test(p))) {
    throw new IntegrityError(`${url} is signed by a key that is not in ${keyring}`);
  }
  throw new IntegrityError(`${url}: bad signature (${problems.join('; ') || 'no signatures'})`);
}

function words(value: string | undefined): string[] {
  return (value ?? '').split(/\s+/).filter((w) => w !== '');
}

/** parseRelease reads the fields kiln uses from a Release file's text; `file` names it in errors. */
export function parseRelease(text: string, file = 'Release'): Release {
  const [stanza] = parseDeb822(text, file);
  if (!stanza) throw new InputError(`${file} is empty`);
  const files = new Map<string, IndexFile>();
  for (const line of stanza.lines('SHA256')) {
    const [sha256, size, path] = line.split(/\s+/);
    if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256) || !size || !/^\d+$/.test(size) || !path) {
      throw new InputError(`${file}: malformed SHA256 entry "${line}"`);
    }
    files.set(path, { sha256, size: Number(size) });
  }
  return {
    origin: stanza.get('Origin'),
    label: stanza.get('Label'),
    suite: stanza.get('Suite'),
    codename: stanza.get('Codename'),
    date: stanza.get('Date'),
    validUntil: stanza.get('Valid-Until'),
    architectures: words(stanza.get('Architectures')),
    components: words(stanza.get('Components')),
    acquireByHash: stanza.get('Acquire-By-Hash') === 'yes',
    files,
  };
}

/**
 * componentDirs lists the directories below dists/<suite>/ where a component's indexes may sit, preferred first,
 * or none when the Release does not carry the component in any spelling. Like apt, a Components entry with a
 * path (security.debian.org writes `updates/main`) also stands for its last part (`main`): that archive lists
 * its indexes under `main/` and keeps `updates/` only as a compatibility path, so both are tried. A Release
 * without a Components field carries whatever it lists files for.
 */
export function componentDirs(release: Pick<Release, 'components'>, component: string): string[] {
  if (release.components.length === 0) return [component];
  const dirs: string[] = [];
  for (const listed of release.components) {
    const last = listed.slice(listed.lastIndexOf('/') + 1);
    if (listed === component) dirs.push(component, ...(last === component ? [] : [last]));
    else if (last === component) dirs.push(component, listed);
  }
  return [...new Set(dirs)];
}

/** fetchRelease downloads dists/<suite>/InRelease, verifies it against the source's keyring, and parses it. */
export async function fetchRelease(source: AptSource, options: ReleaseOptions = {}): Promise<FetchedRelease> {
  const url = `${distsUrl(source)}/InRelease`;
  const data = await httpGet(url, options);
  const now = options.now ?? new Date();
  const text = await verifyInRelease(data, source.keyring, url, now);
  const release = parseRelease(text, url);
  if (release.suite !== source.suite && release.codename !== source.suite) {
    throw new IntegrityError(`${url} is for suite "${release.suite}" (codename "${release.codename}"), not "${source.suite}"`);
  }
  if (release.validUntil !== undefined) {
    const until = new Date(release.validUntil);
    if (Number.isNaN(until.getTime())) throw new InputError(`${url}: unreadable Valid-Until "${release.validUntil}"`);
    if (until < now) throw new IntegrityError(`${url} expired on ${release.validUntil} (a mirror may be serving stale metadata)`);
  }
  return { source, url, sha256: createHash('sha256').update(data).digest('hex'), release };
}
