// What kiln attaches to an entry's image where it publishes it: the CycloneDX SBOM written from the pinned plan,
// stamped with the entry's SOURCE_DATE_EPOCH so the same plan gives the same artifact digest.
import type { BlobStore } from '../cache/blob-store.js';
import { digestHex, sha256 } from '../oci/digest.js';
import type { Attachment } from '../oci/artifact.js';
import { Annotation } from '../oci/spec.js';
import { rfc3339 } from '../oci/timestamp.js';
import type { ImagePlan } from '../plan/index.js';
import { fillTemplate, templateEntry, type SbomTemplate } from '../sbom/template.js';
import { kilnFingerprint } from './kiln-fingerprint.js';

const CYCLONEDX_MEDIA_TYPE = 'application/vnd.cyclonedx+json';

/**
 * entryAttachments lists an entry's attachments: its SBOM, unless `sbom: false` or the plan pins nothing. With a
 * store, the SBOM is filled in from a template rendered before for the same entry but for its local digests (app and
 * project sources: what a code edit changes), so a code change does not load the CycloneDX library.
 */
export async function entryAttachments(entry: ImagePlan, store?: BlobStore): Promise<Attachment[]> {
  if (!entry.sbom || !entry.pinned) return [];
  const annotations = { [Annotation.created]: rfc3339(entry.epoch) };
  const { entry: templated, digests } = templateEntry(entry);
  const key = store ? digestHex(sha256(JSON.stringify({ kiln: await kilnFingerprint(), entry: templated }))) : undefined;
  let template = store && key ? await store.getMemo<SbomTemplate>('sbom-template', key) : undefined;
  if (!template) {
    // The CycloneDX library is large: only builds that render an SBOM template load it.
    const { cycloneDxTemplate } = await import('../sbom/cyclonedx.js');
    template = cycloneDxTemplate(templated, { epoch: entry.epoch });
    if (store && key) await store.setMemo('sbom-template', key, template);
  }
  return [{ mediaType: CYCLONEDX_MEDIA_TYPE, data: Buffer.from(fillTemplate(template, digests)), annotations }];
}
