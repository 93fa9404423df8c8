// What kiln attaches to an entry's image where it publishes it: the CycloneDX SBOM written from the pinned plan,
// stamped with the entry's SOURCE_DATE_EPOCH so the same plan gives the same artifact digest.
import type { BlobStore } from '../cache/blob-store.js';
import { digestHex, sha256, type Digest } from '../oci/digest.js';
import type { Attachment } from '../oci/artifact.js';
import { Annotation } from '../oci/spec.js';
import { rfc3339 } from '../oci/timestamp.js';
import type { ImagePlan } from '../plan/index.js';
import { kilnFingerprint } from './image-key.js';

const CYCLONEDX_MEDIA_TYPE = 'application/vnd.cyclonedx+json';

/**
 * entryAttachments lists an entry's attachments: its SBOM, unless `sbom: false` or the plan pins nothing. With a
 * store, an SBOM written before for the very same entry (and kiln) is read back instead of written again.
 */
export async function entryAttachments(entry: ImagePlan, store?: BlobStore): Promise<Attachment[]> {
  if (!entry.sbom || !entry.pinned) return [];
  const annotations = { [Annotation.created]: rfc3339(entry.epoch) };
  const key = store ? digestHex(sha256(JSON.stringify({ kiln: await kilnFingerprint(), entry }))) : undefined;
  const known = store && key ? await store.getMemo<{ digest: Digest }>('sbom', key) : undefined;
  if (store && known && (await store.has(known.digest))) {
    return [{ mediaType: CYCLONEDX_MEDIA_TYPE, data: await store.read(known.digest), annotations }];
  }
  // The CycloneDX library is large: only builds that write an SBOM load it.
  const { cycloneDxFromPlan } = await import('../sbom/cyclonedx.js');
  const data = Buffer.from(cycloneDxFromPlan(entry, { epoch: entry.epoch }));
  if (store && key) await store.setMemo('sbom', key, { digest: (await store.writeBuffer(data)).digest });
  return [{ mediaType: CYCLONEDX_MEDIA_TYPE, data, annotations }];
}
