// imageKey: a digest of everything in a pinned plan entry that decides the image's bytes, so a build whose entry
// has the same key as an earlier one can take that build's image from the cache instead of assembling it again.
import { sha256, type Digest } from '../oci/digest.js';
import { kilnFingerprint } from './kiln-fingerprint.js';
import type { ImagePlan } from '../plan/index.js';

/** IMAGE_KEY_FORMAT changes whenever assembly changes in a way the plan does not show (bump it with such changes). */
export const IMAGE_KEY_FORMAT = 1;

// Fields that say where an image goes or how it is published, not what it holds.
const NOT_CONTENT = new Set<string>(['name', 'image', 'entry', 'tags', 'destinations', 'publish', 'scan', 'sbom', 'immutableTags', 'outputs']);

/** imageKey returns the key of a pinned entry's image, or undefined for an entry not resolved (nothing to key on). */
export async function imageKey(entry: ImagePlan): Promise<Digest | undefined> {
  if (!entry.pinned || entry.unresolved) return undefined;
  const content = Object.fromEntries(Object.entries(entry).filter(([field]) => !NOT_CONTENT.has(field)));
  return sha256(JSON.stringify({ format: IMAGE_KEY_FORMAT, kiln: await kilnFingerprint(), content }));
}
