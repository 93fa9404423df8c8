// OCI 1.1 artifacts that refer to an image: a document (an SBOM) packed as an image manifest whose `subject` is
// the image, following the image spec's "Guidelines for Artifact Usage". An artifact is an Image like any other,
// so every place that stores images stores it unchanged.
import { Readable } from 'node:stream';
import { sha256, type Digest } from './digest.js';
import { imageFromRaw, serializeJson, type Image } from './image.js';
import { blobLayer } from './layer.js';
import { MediaType } from './media-types.js';
import type { Descriptor, Manifest } from './spec.js';

/** EMPTY_JSON is the content of the empty descriptor: `{}`. */
export const EMPTY_JSON = Buffer.from('{}');

/** EMPTY_DESCRIPTOR is the spec's empty descriptor, the config of an artifact that needs none (data embedded). */
export const EMPTY_DESCRIPTOR: Descriptor = {
  mediaType: MediaType.ociEmpty,
  digest: sha256(EMPTY_JSON),
  size: EMPTY_JSON.length,
  data: EMPTY_JSON.toString('base64'),
};

/** Attachment is a document to attach to an image: its bytes, media type and the artifact manifest's annotations. */
export interface Attachment {
  /** mediaType of the document; it is also the artifact's `artifactType`. */
  mediaType: string;
  data: Buffer;
  /** annotations go on the artifact manifest (and so on its descriptor in referrer lists). */
  annotations: Record<string, string>;
}

/** artifactImage packs an attachment as an artifact manifest whose subject is `subject`; same inputs, same digest. */
export function artifactImage(subject: Descriptor, attachment: Attachment): Image {
  const document: Descriptor = { mediaType: attachment.mediaType, digest: sha256(attachment.data), size: attachment.data.length };
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: attachment.mediaType,
    config: EMPTY_DESCRIPTOR,
    layers: [document],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    ...(Object.keys(attachment.annotations).length ? { annotations: attachment.annotations } : {}),
  };
  const rawManifest = serializeJson(manifest);
  // The document is not a tar: its "diff id" is its own digest, which nothing unpacks.
  const layer = blobLayer({ ...document, diffId: document.digest, open: async () => Readable.from([attachment.data]) });
  return imageFromRaw({ rawManifest: async () => rawManifest, rawConfig: async () => EMPTY_JSON, layers: async () => [layer] });
}

/** artifactsFor packs each attachment as an artifact whose subject is `image`. */
export async function artifactsFor(image: Image, attachments: Attachment[]): Promise<Image[]> {
  if (attachments.length === 0) return [];
  const raw = await image.rawManifest();
  const subject: Descriptor = { mediaType: await image.mediaType(), digest: sha256(raw), size: raw.length };
  return attachments.map((attachment) => artifactImage(subject, attachment));
}

/**
 * referrerDescriptor is how a referrer list (the referrers API, the fallback tag's index, a layout's index.json)
 * names an artifact manifest: artifactType (the config's media type when unset) and the manifest's annotations.
 */
export function referrerDescriptor(rawManifest: Buffer): Descriptor {
  const manifest = JSON.parse(rawManifest.toString('utf8')) as Manifest;
  return {
    mediaType: manifest.mediaType ?? MediaType.ociManifest,
    digest: sha256(rawManifest),
    size: rawManifest.length,
    artifactType: manifest.artifactType ?? manifest.config.mediaType,
    ...(manifest.annotations && Object.keys(manifest.annotations).length ? { annotations: manifest.annotations } : {}),
  };
}

/** subjectOf returns the digest an artifact manifest refers to, or undefined for a manifest without `subject`. */
export function subjectOf(rawManifest: Buffer): Digest | undefined {
  try {
    return (JSON.parse(rawManifest.toString('utf8')) as Manifest).subject?.digest;
  } catch {
    return undefined;
  }
}
