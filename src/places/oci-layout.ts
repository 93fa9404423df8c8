// The OCI image-layout directory (`oci:PATH[:TAG]`): blobs/<alg>/<hex>, oci-layout, index.json.
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { digestAlgorithm, digestHex, parseDigest, sha256, verifyDigest, type Digest } from '../oci/digest.js';
import { checkedConfig, imageFromRaw, serializeJson, type Image } from '../oci/image.js';
import { blobLayer } from '../oci/layer.js';
import { isIndexMediaType, isManifestMediaType, MediaType } from '../oci/media-types.js';
import { referrerDescriptor, subjectOf } from '../oci/artifact.js';
import { isImageIndex, type ImageOrIndex, type PlatformImage } from '../oci/image-index.js';
import { Annotation, type Descriptor, type Index, type Manifest, type Platform } from '../oci/spec.js';
import { InputError, OutputError, withContext } from '../errors.js';
import { ensureDir, tempSibling, writeBlobFile, writeFileAtomic } from './blob-file.js';
import { withFileLock } from './file-lock.js';
import { sweepStaleTemps } from './stale-temps.js';

function blobPath(root: string, digest: Digest): string {
  return join(root, 'blobs', digestAlgorithm(digest), digestHex(digest));
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function readIndex(root: string): Promise<Index> {
  const raw = await withContext(`reading ${join(root, 'index.json')}`, () => readFile(join(root, 'index.json'), 'utf8'));
  try {
    return JSON.parse(raw) as Index;
  } catch (error) {
    throw new InputError(`${join(root, 'index.json')}: not valid JSON: ${(error as Error).message}`);
  }
}

// manifestBlobs copies an image's layers, config and manifest into a layout and returns the manifest's descriptor.
async function manifestBlobs(root: string, image: Image): Promise<Descriptor> {
  const manifest = await image.manifest();
  const rawConfig = await image.rawConfig();
  const layers = await image.layers();
  for (const [i, layer] of layers.entries()) {
    const descriptor = manifest.layers[i]!;
    await writeBlobFile(blobPath(root, descriptor.digest), () => layer.compressed(), descriptor, `layer ${descriptor.digest}`);
  }
  await writeBlobFile(blobPath(root, manifest.config.digest), async () => bufferStream(rawConfig), manifest.config, 'image config');
  const rawManifest = await image.rawManifest();
  const digest = sha256(rawManifest);
  await writeBlobFile(blobPath(root, digest), async () => bufferStream(rawManifest), { digest, size: rawManifest.length }, 'image manifest');
  return { mediaType: await image.mediaType(), digest, size: rawManifest.length };
}

/**
 * writeImageBlobs copies config, layers and manifest of an image into a layout rooted at `root`; for an index,
 * every child's first and the index blob last, so the index never names a manifest the layout lacks.
 */
async function writeImageBlobs(root: string, image: ImageOrIndex): Promise<Descriptor> {
  if (isImageIndex(image)) {
    for (const child of await image.children()) await manifestBlobs(root, child.image);
    const raw = await image.rawManifest();
    const digest = sha256(raw);
    await writeBlobFile(blobPath(root, digest), async () => bufferStream(raw), { digest, size: raw.length }, 'image index');
    return { mediaType: await image.mediaType(), digest, size: raw.length };
  }
  const descriptor = await manifestBlobs(root, image);
  const config = JSON.parse((await image.rawConfig()).toString('utf8')) as { os: string; architecture: string; variant?: string };
  return {
    ...descriptor,
    platform: { architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) },
  };
}

function bufferStream(data: Buffer): Readable {
  return Readable.from([data]);
}

// The lock serialises index.json updates across processes; it lives inside the layout, like git's index.lock.
const INDEX_LOCK = 'index.json.lock';

/** sweepLayoutTemps removes temp files killed writers left in a layout (index.json, oci-layout, blobs). */
async function sweepLayoutTemps(root: string): Promise<void> {
  await sweepStaleTemps(root);
  const blobs = join(root, 'blobs');
  for (const algorithm of await readdir(blobs).catch(() => [] as string[])) await sweepStaleTemps(join(blobs, algorithm));
}

function indexEntry(descriptor: Descriptor, tag: string | undefined): Descriptor {
  return tag ? { ...descriptor, annotations: { [Annotation.refName]: tag } } : descriptor;
}

/** addToLayout writes an image's blobs into an existing layout, then updates index.json under the lock. */
async function addToLayout(path: string, image: ImageOrIndex, tag: string | undefined): Promise<Descriptor> {
  if (!(await readIndex(path).catch(() => undefined))) throw new OutputError(`${path} exists and is not an OCI layout (no readable index.json)`);
  await sweepLayoutTemps(path);
  const descriptor = await withContext(`writing ${path}`, () => writeImageBlobs(path, image), OutputError);
  const entry = indexEntry(descriptor, tag);
  await withFileLock(join(path, INDEX_LOCK), async () => {
    // Another writer's clean-up (below) may have removed a blob found present before the lock: put back what is missing.
    await withContext(`writing ${path}`, () => writeImageBlobs(path, image), OutputError);
    // Read under the lock: another process may have added its tag since the check above.
    const index = await readIndex(path);
    // The entry takes the place of the one it replaces, so rewriting the same image leaves index.json as it was.
    const replaces = (m: Descriptor): boolean => (tag ? m.annotations?.[Annotation.refName] === tag : m.digest === descriptor.digest);
    const at = index.manifests.findIndex(replaces);
    const kept = index.manifests.flatMap((m, i) => (i === at ? [entry] : replaces(m) ? [] : [m]));
    const manifests = await withoutOrphanReferrers(path, at < 0 ? [...kept, entry] : kept);
    await withContext(`writing ${path}`, () => writeFileAtomic(join(path, 'index.json'), serializeJson({ ...index, manifests })), OutputError);
    await removeReplaced(path, index.manifests, manifests);
  });
  return descriptor;
}

// reachableBlobs lists the blobs `descriptors` lead to in a layout: manifests and indexes, their configs, layers,
// children and blobs, read from the layout (a blob it lacks ends its branch).
async function reachableBlobs(root: string, descriptors: readonly Descriptor[]): Promise<Set<string>> {
  const seen = new Set<string>();
  const walk = async (descriptor: Descriptor | undefined): Promise<void> => {
    if (!descriptor?.digest || seen.has(descriptor.digest)) return;
    seen.add(descriptor.digest);
    if (!isIndexMediaType(descriptor.mediaType) && !isManifestMediaType(descriptor.mediaType)) return;
    let document: { config?: Descriptor; layers?: Descriptor[]; manifests?: Descriptor[]; blobs?: Descriptor[] };
    try {
      document = JSON.parse((await readFile(blobPath(root, descriptor.digest))).toString('utf8')) as typeof document;
    } catch {
      return;
    }
    for (const child of [document.config, ...(document.layers ?? []), ...(document.manifests ?? []), ...(document.blobs ?? [])]) await walk(child);
  };
  for (const descriptor of descriptors) await walk(descriptor);
  return seen;
}

/**
 * removeReplaced deletes the blobs only the entries index.json no longer lists held (the image a tag named before,
 * its SBOM): a layout rebuilt into again and again (kiln build --watch) does not keep every earlier app layer.
 * Blobs another entry still reaches stay, and so does anything the old entries did not reach. Run under the index
 * lock, where every kiln writer checks its blobs before listing its image.
 */
async function removeReplaced(root: string, before: readonly Descriptor[], after: readonly Descriptor[]): Promise<void> {
  const listed = new Set(after.map((m) => m.digest));
  const dropped = before.filter((m) => !listed.has(m.digest));
  if (!dropped.length) return;
  const kept = await reachableBlobs(root, after);
  for (const digest of await reachableBlobs(root, dropped)) {
    if (kept.has(digest)) continue;
    try {
      await rm(blobPath(root, parseDigest(digest, 'blob digest')), { force: true });
    } catch {
      // A digest kiln cannot name a file for, or a file it may not remove: left as it is.
    }
  }
}

/** createLayout assembles a new layout in a temp directory and renames it into place; false if another process got there first. */
async function createLayout(path: string, image: ImageOrIndex, tag: string | undefined): Promise<Descriptor | undefined> {
  const parent = dirname(path);
  await withContext(`writing ${path}`, () => ensureDir(parent), OutputError);
  const temp = tempSibling(path);
  try {
    return await withContext(`writing ${path}`, async () => {
      await mkdir(temp);
      const descriptor = await writeImageBlobs(temp, image);
      await writeFileAtomic(join(temp, 'oci-layout'), serializeJson({ imageLayoutVersion: '1.0.0' }));
      await writeFileAtomic(join(temp, 'index.json'), serializeJson({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [indexEntry(descriptor, tag)] }));
      try {
        await rename(temp, path);
      } catch (error) {
        // Another writer created the layout between our check and our rename: join theirs instead.
        const code = (error as NodeJS.ErrnoException).code;
        if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await isDirectory(path))) return undefined;
        throw error;
      }
      return descriptor;
    }, OutputError);
  } finally {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * writeOciLayout adds `image` to the layout at `path` under `tag` (replacing an entry with the same tag).
 * A new layout is assembled in a temp directory and renamed into place; an existing one gets its blobs
 * first and index.json last, each atomically, so readers never see a tag without its blobs. Several
 * processes may write into one layout at once: index.json is updated under a lock, and a creator that
 * loses the race to rename its new layout adds its image to the winner's.
 */
export async function writeOciLayout(path: string, image: ImageOrIndex, tag?: string): Promise<Descriptor> {
  // Temp layouts of killed writers sit beside the layout.
  await sweepStaleTemps(dirname(path), { prefix: basename(path) });
  if (!(await isDirectory(path))) {
    const created = await createLayout(path, image, tag);
    if (created) return created;
  }
  return addToLayout(path, image, tag);
}

/** PlatformWanted selects one image from an index. */
export interface PlatformWanted {
  os: string;
  architecture: string;
  variant?: string;
}

function platformMatches(platform: Platform | undefined, wanted: PlatformWanted): boolean {
  if (!platform) return false;
  return platform.os === wanted.os && platform.architecture === wanted.architecture && (!wanted.variant || platform.variant === wanted.variant);
}

/** layoutEntry finds the index.json entry tagged `tag` (or the only image, or the one for `platform`). */
async function layoutEntry(path: string, where: string, tag: string | undefined, platform: PlatformWanted): Promise<Descriptor> {
  if (!(await isDirectory(path))) throw new InputError(`oci:${path}: no such OCI layout directory`);
  const index = await readIndex(path);
  let candidates = index.manifests ?? [];
  // Untagged referrers (an SBOM beside its image) are not images to open.
  candidates = tag ? candidates.filter((m) => m.annotations?.[Annotation.refName] === tag) : candidates.filter((m) => !m.artifactType);
  if (candidates.length === 0) throw new InputError(`${where}: no image${tag ? ` tagged "${tag}"` : ''} in the layout`);
  if (candidates.length > 1) {
    const matching = candidates.filter((m) => platformMatches(m.platform, platform));
    if (matching.length !== 1) throw new InputError(`${where}: the layout holds ${candidates.length} images; name one with :TAG`);
    candidates = matching;
  }
  return candidates[0]!;
}

/** readOciLayout opens the image tagged `tag` (or the only image) of the layout at `path`. */
export async function readOciLayout(path: string, tag?: string, platform: PlatformWanted = { os: 'linux', architecture: 'amd64' }): Promise<Image> {
  const where = `oci:${path}${tag ? `:${tag}` : ''}`;
  let descriptor = await layoutEntry(path, where, tag, platform);
  // Follow nested indexes down to one manifest for the wanted platform.
  for (let depth = 0; isIndexMediaType(descriptor.mediaType); depth++) {
    if (depth > 4) throw new InputError(`${where}: indexes nested too deep`);
    const nested = JSON.parse((await readLayoutBlob(path, descriptor, 'index', where)).toString('utf8')) as Index;
    const match = nested.manifests.find((m) => platformMatches(m.platform, platform)) ?? (nested.manifests.length === 1 ? nested.manifests[0] : undefined);
    if (!match) throw new InputError(`${where}: no image for ${platform.os}/${platform.architecture}`);
    descriptor = match;
  }
  return layoutImage(path, descriptor, where);
}

/**
 * readOciLayoutIndex opens what the layout entry names as it is: an image, or an image index with every child
 * (its bytes as stored, so the digest stays). Copying or validating an index needs all of it, not one platform.
 */
export async function readOciLayoutIndex(path: string, tag?: string, platform: PlatformWanted = { os: 'linux', architecture: 'amd64' }): Promise<ImageOrIndex> {
  const where = `oci:${path}${tag ? `:${tag}` : ''}`;
  const descriptor = await layoutEntry(path, where, tag, platform);
  if (!isIndexMediaType(descriptor.mediaType)) return layoutImage(path, descriptor, where);
  const raw = await readLayoutBlob(path, descriptor, 'index', where);
  const index = JSON.parse(raw.toString('utf8')) as Index;
  const children: PlatformImage[] = [];
  for (const child of index.manifests ?? []) {
    if (!isManifestMediaType(child.mediaType)) throw new InputError(`${where}: index entry ${child.digest} is ${child.mediaType}, not an image manifest (nested indexes are not copied)`);
    if (!child.platform) throw new InputError(`${where}: index entry ${child.digest} names no platform`);
    children.push({ platform: child.platform, image: await layoutImage(path, child, where) });
  }
  return {
    rawManifest: async () => raw,
    index: async () => structuredClone(index),
    digest: async () => sha256(raw),
    mediaType: async () => index.mediaType ?? descriptor.mediaType,
    children: async () => [...children],
  };
}

// layoutImage opens the image manifest `descriptor` names, its config checked and its layers read on demand.
async function layoutImage(path: string, descriptor: Descriptor, where: string): Promise<Image> {
  const readBlob = (d: Descriptor, what: string): Promise<Buffer> => readLayoutBlob(path, d, what, where);
  if (!isManifestMediaType(descriptor.mediaType)) throw new InputError(`${where}: unsupported manifest media type ${descriptor.mediaType}`);
  const rawManifest = await readBlob(descriptor, 'manifest');
  const manifest = JSON.parse(rawManifest.toString('utf8')) as Manifest;
  const rawConfig = checkedConfig(where, await readBlob(manifest.config, 'config'), manifest.config);
  const config = JSON.parse(rawConfig.toString('utf8')) as { rootfs?: { diff_ids?: Digest[] } };
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw new InputError(`${where}: config lists ${diffIds.length} diff_ids for ${manifest.layers.length} layers`);
  }
  const layers = manifest.layers.map((d, i) => {
    const digest = parseDigest(d.digest, `${where}: layer digest`);
    return blobLayer({
      mediaType: d.mediaType,
      digest,
      size: d.size,
      diffId: diffIds[i]!,
      open: async () => {
        await withContext(`${where}: layer ${digest}`, () => stat(blobPath(path, digest)));
        return createReadStream(blobPath(path, digest));
      },
    });
  });
  return imageFromRaw({ rawManifest: async () => rawManifest, rawConfig: async () => rawConfig, layers: async () => layers });
}

/** readLayoutBlob reads one blob of the layout at `root`, checked against its descriptor's digest and size. */
export async function readLayoutBlob(root: string, descriptor: Descriptor, what: string, where = `oci:${root}`): Promise<Buffer> {
  const digest = parseDigest(descriptor.digest, `${where}: ${what} digest`);
  const data = await withContext(`${where}: reading ${what} ${digest}`, () => readFile(blobPath(root, digest)));
  verifyDigest(`${where}: ${what}`, digest, sha256(data), descriptor.size, data.length);
  return data;
}

// A referrer whose subject left the index (its tag moved to a new image) would only grow index.json: drop it,
// and then whatever referred to it. Its blobs stay, like the old image's.
async function withoutOrphanReferrers(root: string, manifests: Descriptor[]): Promise<Descriptor[]> {
  const subjects = new Map<string, Digest | undefined>();
  for (const descriptor of manifests) {
    if (!descriptor.artifactType) continue;
    const raw = await readFile(blobPath(root, descriptor.digest)).catch(() => undefined);
    subjects.set(descriptor.digest, raw ? subjectOf(raw) : undefined);
  }
  // The children of a listed index are present too: each platform's SBOM refers to its child, not to the index.
  const children = new Map<string, Digest[]>();
  for (const descriptor of manifests) {
    if (!isIndexMediaType(descriptor.mediaType)) continue;
    const raw = await readFile(blobPath(root, descriptor.digest)).catch(() => undefined);
    children.set(descriptor.digest, raw ? ((JSON.parse(raw.toString('utf8')) as Index).manifests ?? []).map((m) => m.digest) : []);
  }
  let kept = manifests;
  for (;;) {
    const present = new Set<string>(kept.flatMap((m) => [m.digest, ...(children.get(m.digest) ?? [])]));
    const next = kept.filter((m) => !subjects.has(m.digest) || present.has(subjects.get(m.digest) ?? ''));
    if (next.length === kept.length) return kept;
    kept = next;
  }
}

/**
 * writeOciReferrers stores artifacts (an SBOM) beside their subject, an image already in the layout at `path`:
 * blobs first, then one untagged index.json entry each, with its artifactType, as ORAS keeps referrers in a
 * layout. Tags still name only images; writing the same artifact twice keeps one entry.
 */
export async function writeOciReferrers(path: string, artifacts: Image[]): Promise<Descriptor[]> {
  if (!(await readIndex(path).catch(() => undefined))) throw new OutputError(`${path} exists and is not an OCI layout (no readable index.json)`);
  const added: Descriptor[] = [];
  for (const artifact of artifacts) {
    await withContext(`writing ${path}`, () => manifestBlobs(path, artifact), OutputError);
    added.push(referrerDescriptor(await artifact.rawManifest()));
  }
  await withFileLock(join(path, INDEX_LOCK), async () => {
    // As addToLayout: blobs another writer's clean-up removed since are put back before they are listed.
    for (const artifact of artifacts) await withContext(`writing ${path}`, () => manifestBlobs(path, artifact), OutputError);
    const index = await readIndex(path);
    const listed = [...index.manifests, ...added.filter((d) => !index.manifests.some((m) => m.digest === d.digest))];
    const manifests = await withoutOrphanReferrers(path, listed);
    await withContext(`writing ${path}`, () => writeFileAtomic(join(path, 'index.json'), serializeJson({ ...index, manifests })), OutputError);
    await removeReplaced(path, index.manifests, manifests);
  });
  return added;
}

/**
 * readOciArtifacts opens the artifacts (SBOMs) kept beside `subjects` in the layout as images, ready to be written
 * elsewhere as referrers: the manifest, config and document bytes exactly as stored, so their digests stay.
 */
export async function readOciArtifacts(path: string, subjects: readonly Digest[]): Promise<Image[]> {
  const artifacts: Image[] = [];
  for (const subject of subjects) {
    for (const descriptor of await readOciReferrers(path, subject)) {
      const where = `oci:${path}: artifact ${descriptor.digest}`;
      const rawManifest = await readLayoutBlob(path, descriptor, 'manifest', where);
      const manifest = JSON.parse(rawManifest.toString('utf8')) as Manifest;
      const rawConfig = await readLayoutBlob(path, manifest.config, 'config', where);
      // A document is not a tar: its "diff id" is its own digest, as artifactImage makes it.
      const layers = manifest.layers.map((d) => {
        const digest = parseDigest(d.digest, `${where}: blob digest`);
        return blobLayer({ mediaType: d.mediaType, digest, size: d.size, diffId: digest, open: async () => createReadStream(blobPath(path, digest)) });
      });
      artifacts.push(imageFromRaw({ rawManifest: async () => rawManifest, rawConfig: async () => rawConfig, layers: async () => layers }));
    }
  }
  return artifacts;
}

/** readOciReferrers lists the index.json entries of the layout at `path` whose manifest's subject is `subject`. */
export async function readOciReferrers(path: string, subject: Digest): Promise<Descriptor[]> {
  const index = await readIndex(path);
  const found: Descriptor[] = [];
  for (const descriptor of index.manifests ?? []) {
    if (!isManifestMediaType(descriptor.mediaType) || descriptor.digest === subject) continue;
    if (!descriptor.artifactType) continue;
    const raw = await readLayoutBlob(path, descriptor, 'manifest');
    if (subjectOf(raw) === subject) found.push(descriptor);
  }
  return found;
}
