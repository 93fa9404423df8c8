// pinRegistryBase: a `docker://` base pinned to the digest its tag names, recorded in kiln.lock, so a tag
// that moves is refused instead of silently followed. Reads one manifest, no blob.
import { InputError } from '../errors.js';
import type { LockFile } from '../debian/lock.js';
import { dockerConfigCredentials, formatReference, insecureRegistries, parseReference, Registries } from '../registry/index.js';
import { pinReference, stripDockerScheme } from '../registry/reference.js';
import { selectPlatform, type PlatformWanted } from '../registry/pull.js';
import { isIndexMediaType } from '../oci/media-types.js';
import type { Index } from '../oci/spec.js';

/** RegistryPin is the pinned reference (`docker://host/repo:tag@sha256:...`) and, when new, the lock entry to record. */
export interface RegistryPin {
  reference: string;
  digest: string;
  /** imageDigest is the child manifest for the entry's platform when `digest` names an index. */
  imageDigest?: string;
  /** record is `[key, digest]` when kiln.lock had no entry for this tag. */
  record?: [string, string];
}

/** registryLockKey is a base's key in kiln.lock's `registry` table: the normalised `host/repo:tag`. */
export function registryLockKey(place: string): string {
  const reference = parseReference(stripDockerScheme(place));
  return formatReference({ ...reference, digest: undefined, tag: reference.tag ?? 'latest' });
}

/** tagDigest asks the registry which manifest (or index) digest a tag names now. */
export async function tagDigest(place: string, env: NodeJS.ProcessEnv): Promise<string> {
  return (await baseManifest(place, env)).digest;
}

/**
 * baseManifest reads the manifest (or index) `place` names, and for an index the child a platform picks: one
 * manifest read, no blob, so a plan pins each platform's child without pulling it.
 */
async function baseManifest(place: string, env: NodeJS.ProcessEnv, platform?: PlatformWanted): Promise<{ digest: string; imageDigest?: string }> {
  const reference = parseReference(stripDockerScheme(place));
  const registries = new Registries({ credentials: dockerConfigCredentials(env), insecure: insecureRegistries(env) });
  const top = await registries.client(reference.registry).getManifest(reference.repository, reference.digest ?? reference.tag ?? 'latest');
  if (!platform || !isIndexMediaType(top.mediaType)) return { digest: top.digest };
  const chosen = selectPlatform(JSON.parse(top.raw.toString('utf8')) as Index, platform, formatReference(reference));
  return { digest: top.digest, imageDigest: chosen.digest };
}

/** pinRegistryBase pins `place` against kiln.lock: a moved tag is refused, a missing entry refused under `locked`. */
export async function pinRegistryBase(place: string, options: { lock: LockFile; locked: boolean; env: NodeJS.ProcessEnv; platform?: PlatformWanted; childOfDigest?: boolean }): Promise<RegistryPin> {
  const reference = parseReference(stripDockerScheme(place));
  // A base given by digest is pinned by its author; for a multi-platform entry (childOfDigest) each platform pins its child too.
  if (reference.digest) {
    const { imageDigest } = options.platform && options.childOfDigest ? await baseManifest(place, options.env, options.platform) : {};
    return { reference: `docker://${formatReference(reference)}`, digest: reference.digest, ...(imageDigest ? { imageDigest } : {}) };
  }
  const key = registryLockKey(place);
  const locked = options.lock.registry?.[key]?.digest;
  if (!locked && options.locked) throw new InputError(`kiln.lock has no digest for base ${key} and --locked forbids resolving it; run kiln lock`);
  const { digest: current, imageDigest } = await baseManifest(place, options.env, options.platform);
  if (locked && locked !== current) {
    throw new InputError(`base ${key} moved: kiln.lock pins ${locked}, the registry now has ${current}; run kiln lock --update to follow it`);
  }
  const pinned = `docker://${formatReference(pinReference({ ...reference, tag: reference.tag ?? 'latest' }, current as `sha256:${string}`))}`;
  return { reference: pinned, digest: current, ...(imageDigest ? { imageDigest } : {}), ...(locked ? {} : { record: [key, current] as [string, string] }) };
}
