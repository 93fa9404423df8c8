// OCI 1.1 artifacts that refer to an image: a document (an SBOM) packed as an image manifest whose `subject` is
// the image, following the image spec's "Guidelines for Artifact Usage". An artifact is an Image like any other,
// so every place that stores images stores it unchanged.
import { Readable } from 'node:stream';
import { sha256, type Digest } from './digest.js';
import { imageFromRaw, serializeJson, type Image } from './image.js';
import { imagesOf, type ImageOrIndex } from './image-index.js';
import { InputError } from '../errors.js';
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
  /** subject names the child of an index the document describes (a platform's SBOM); absent: the image itself. */
  subject?: Digest;
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

/**
 * artifactsFor packs each attachment as an artifact whose subject is `image`, or, for an attachment naming a
 * `subject`, the child of the index with that digest (each platform's SBOM refers to that platform's image).
 */
export async function artifactsFor(image: ImageOrIndex, attachments: Attachment[]): Promise<Image[]> {
  if (attachments.length === 0) return [];
  const describe = async (target: { rawManifest(): Promise<Buffer>; mediaType(): Promise<string> }): Promise<Descriptor> => {
    const raw = await target.rawManifest();
    return { mediaType: await target.mediaType(), digest: sha256(raw), size: raw.length };
  };
  const subjects = new Map<string, Descriptor>();
  const own = await describe(image);
  subjects.set(own.digest, own);
  for (const child of await imagesOf(image)) {
    const descriptor = await describe(child);
    subjects.set(descriptor.digest, descriptor);
  }
  return attachments.map((attachment) => {
    const subject = subjects.get(attachment.subject ?? own.digest);
    if (!subject) throw new InputError(`attachment ${attachment.mediaType} refers to ${attachment.subject}, which is not part of image ${own.digest}`);
    const { subject: _subject, ...rest } = attachment;
    return artifactImage(subject, rest);
  });
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

/** artifactsBySubject groups artifacts by the digest they refer to, in first-seen order. */
export async function artifactsBySubject(artifacts: Image[]): Promise<Map<Digest, Image[]>> {
  const groups = new Map<Digest, Image[]>();
  for (const artifact of artifacts) {
    const subject = subjectOf(await artifact.rawManifest());
    if (!subject) continue;
    groups.set(subject, [...(groups.get(subject) ?? []), artifact]);
  }
  return groups;
}
