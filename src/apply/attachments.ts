// What kiln attaches to an entry's image where it publishes it: the CycloneDX SBOM written from the pinned plan,
// stamped with the entry's SOURCE_DATE_EPOCH so the same plan gives the same artifact digest.
import type { Attachment } from '../oci/artifact.js';
import { Annotation } from '../oci/spec.js';
import { rfc3339 } from '../oci/timestamp.js';
import type { ImagePlan } from '../plan/index.js';

/** entryAttachments lists an entry's attachments: its SBOM, unless `sbom: false` or the plan pins nothing. */
export async function entryAttachments(entry: ImagePlan): Promise<Attachment[]> {
  if (!entry.sbom || !entry.pinned) return [];
  // The CycloneDX library is large: only builds that attach an SBOM load it.
  const { cycloneDxFromPlan, CYCLONEDX_MEDIA_TYPE } = await import('../sbom/cyclonedx.js');
  const data = Buffer.from(cycloneDxFromPlan(entry, { epoch: entry.epoch }));
  return [{ mediaType: CYCLONEDX_MEDIA_TYPE, data, annotations: { [Annotation.created]: rfc3339(entry.epoch) } }];
}
