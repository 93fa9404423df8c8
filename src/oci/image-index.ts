// ImageIndex: several images, one per platform, under one OCI image index. Like Image it never changes once made
// and computes its bytes on demand; places that store images store an index the same way (children, then index).
import { sha256, type Digest } from './digest.js';
import { serializeJson, type Image } from './image.js';
import { MediaType } from './media-types.js';
import type { Index, Platform } from './spec.js';

/** PlatformImage is one child of an index: the image and the platform its descriptor names. */
export interface PlatformImage {
  platform: Platform;
  image: Image;
}

/** ImageIndex is an OCI image index over built images; its digest is the sha256 of rawManifest. */
export interface ImageIndex {
  /** rawManifest is the exact index bytes. */
  rawManifest(): Promise<Buffer>;
  index(): Promise<Index>;
  digest(): Promise<Digest>;
  mediaType(): Promise<string>;
  /** children in index order. */
  children(): Promise<PlatformImage[]>;
}

/** Artifact is what builders hand to publishers: one image, or an index of images. */
export type ImageOrIndex = Image | ImageIndex;

/** isImageIndex tells an index from an image. */
export function isImageIndex(value: ImageOrIndex): value is ImageIndex {
  return 'children' in value;
}

/** platformOf reads the platform an image's config declares (os, architecture, variant). */
export async function platformOf(image: Image): Promise<Platform> {
  const config = await image.config();
  return { architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) };
}

/** indexFromImages makes an OCI image index over `children`, each descriptor with its platform, in the order given. */
export function indexFromImages(children: PlatformImage[], annotations: Record<string, string> = {}): ImageIndex {
  let raw: Promise<Buffer> | undefined;
  const build = async (): Promise<Buffer> => {
    const index: Index = {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: await Promise.all(children.map(async ({ platform, image }) => {
        const manifest = await image.rawManifest();
        return { mediaType: await image.mediaType(), digest: sha256(manifest), size: manifest.length, platform };
      })),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    };
    return serializeJson(index);
  };
  const rawManifest = () => (raw ??= build());
  return {
    rawManifest,
    index: async () => JSON.parse((await rawManifest()).toString('utf8')) as Index,
    digest: async () => sha256(await rawManifest()),
    mediaType: async () => MediaType.ociIndex,
    children: async () => [...children],
  };
}

/** selectChild picks the child for `platform` (os and architecture, and variant when both name one). */
export async function selectChild(index: ImageIndex, platform: { os: string; architecture: string; variant?: string }): Promise<PlatformImage | undefined> {
  return (await index.children()).find((child) => child.platform.os === platform.os && child.platform.architecture === platform.architecture
    && (!platform.variant || !child.platform.variant || child.platform.variant === platform.variant));
}

/** imagesOf lists the images an image or index holds (the image itself, or every child). */
export async function imagesOf(value: ImageOrIndex): Promise<Image[]> {
  return isImageIndex(value) ? (await value.children()).map((child) => child.image) : [value];
}
