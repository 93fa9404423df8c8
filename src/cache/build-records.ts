// Build records: which image the last build of an entry produced, by manifest digest, with every blob it needs
// kept in the blob store, so `kiln push` publishes exactly that image instead of rebuilding it; and a short history
// of every entry's builds (time, digest, sizes, seconds) for `kiln report`.
import { appendFile, mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256, digestHex, type Digest } from '../oci/digest.js';
import { checkedConfig, imageFromRaw, type Image } from '../oci/image.js';
import { blobLayer, type Layer } from '../oci/layer.js';
import type { ImageConfig, Index, Manifest } from '../oci/spec.js';
import { indexFromImages, isImageIndex, type ImageOrIndex } from '../oci/image-index.js';
import { isIndexMediaType } from '../oci/media-types.js';
import type { Attachment } from '../oci/artifact.js';
import { IntegrityError } from '../errors.js';
import type { BlobStore } from './blob-store.js';

/** BuildKey names an entry of one manifest: the absolute kiln.yaml path and the plan entry name. */
export interface BuildKey {
  manifestFile: string;
  name: string;
}

/** RecordedAttachment is an attachment kept in the blob store by digest. */
export interface RecordedAttachment {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations: Record<string, string>;
  /** subject is the child of an index the attachment describes. */
  subject?: Digest;
}

/** BuildRecord is what is remembered per entry: the manifest digest and where its blobs are. */
export interface BuildRecord {
  manifestFile: string;
  name: string;
  digest: Digest;
  /** attachments (the SBOM) were made with the image; `kiln push` attaches these same bytes. */
  attachments?: RecordedAttachment[];
  /** blobs is the blob store's root holding the manifest, the config and every layer. */
  blobs: string;
}

const MEMO_KIND = 'builds';

function memoKey(key: BuildKey): string {
  return digestHex(sha256(Buffer.from(`${key.manifestFile}\0${key.name}`)));
}

/** keepImage copies whatever blobs of `image` the store lacks into it (manifest last) and returns its digest. */
export async function keepImage(store: BlobStore, image: Image, what: string): Promise<Digest> {
  const manifest = await image.manifest();
  const layers = await image.layers();
  for (const [i, layer] of layers.entries()) {
    const descriptor = manifest.layers[i]!;
    if (!(await store.has(descriptor.digest))) await store.write(await layer.compressed(), descriptor, `${what}: layer ${descriptor.digest}`);
  }
  await store.writeBuffer(await image.rawConfig(), manifest.config, `${what}: config`);
  return (await store.writeBuffer(await image.rawManifest(), undefined, `${what}: manifest`)).digest;
}

/** BuildStats is what a build measured: the image's sizes and how long the entry took. */
export interface BuildStats {
  /** size is what a pull transfers; unpackedSize the layers' tars (an index adds up its children). */
  size: number;
  unpackedSize: number;
  seconds: number;
}

/** HistoryEntry is one line of an entry's build history. */
export interface HistoryEntry extends BuildStats {
  /** time is when the build was recorded (ISO 8601, UTC). */
  time: string;
  digest: Digest;
}

/** HISTORY_LIMIT is how many builds an entry's history keeps (the newest). */
export const HISTORY_LIMIT = 50;

function historyPath(store: BlobStore, key: BuildKey): string {
  return join(store.root, 'history', `${memoKey(key)}.jsonl`);
}

// One JSON line per build, appended: two kiln processes recording builds at once each add their line whole (a
// short O_APPEND write), where rewriting a JSON list would lose one. The file is trimmed once it is twice the limit.
async function appendHistory(store: BlobStore, key: BuildKey, entry: HistoryEntry): Promise<void> {
  const path = historyPath(store, key);
  await mkdir(join(path, '..'), { recursive: true });
  await appendFile(path, `${JSON.stringify(entry)}\n`);
  const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
  if (lines.length < 2 * HISTORY_LIMIT) return;
  const temp = await store.tempPath();
  await appendFile(temp, `${lines.slice(-HISTORY_LIMIT).join('\n')}\n`);
  await rename(temp, path);
}

/** buildHistory lists the recorded builds of `key`, oldest first, at most HISTORY_LIMIT; a damaged line is skipped. */
export async function buildHistory(store: BlobStore, key: BuildKey): Promise<HistoryEntry[]> {
  let text: string;
  try {
    text = await readFile(historyPath(store, key), 'utf8');
  } catch {
    return [];
  }
  const entries: HistoryEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const entry = JSON.parse(line) as HistoryEntry;
      if (typeof entry.time === 'string' && typeof entry.digest === 'string' && typeof entry.size === 'number') entries.push(entry);
    } catch {
      // A line cut short by a crash mid-write loses that build's point, not the history.
    }
  }
  return entries.slice(-HISTORY_LIMIT);
}

/**
 * recordBuild copies whatever blobs of `image` (or of every child of an index) the store lacks into it, then records
 * it for `key`; with `stats`, the build is also added to the entry's history.
 */
export async function recordBuild(store: BlobStore, key: BuildKey, image: ImageOrIndex, attachments: Attachment[] = [], stats?: BuildStats): Promise<BuildRecord> {
  let digest: Digest;
  if (isImageIndex(image)) {
    for (const child of await image.children()) await keepImage(store, child.image, key.name);
    digest = (await store.writeBuffer(await image.rawManifest(), undefined, `${key.name}: index`)).digest;
  } else {
    digest = await keepImage(store, image, key.name);
  }
  const recorded: RecordedAttachment[] = [];
  for (const attachment of attachments) {
    const blob = await store.writeBuffer(attachment.data, undefined, `${key.name}: ${attachment.mediaType}`);
    recorded.push({ mediaType: attachment.mediaType, digest: blob.digest, size: attachment.data.length, annotations: attachment.annotations, ...(attachment.subject ? { subject: attachment.subject } : {}) });
  }
  const record: BuildRecord = { manifestFile: key.manifestFile, name: key.name, digest, blobs: store.root, ...(recorded.length ? { attachments: recorded } : {}) };
  await store.setMemo(MEMO_KIND, memoKey(key), record);
  if (stats) await appendHistory(store, key, { time: new Date().toISOString(), digest, size: stats.size, unpackedSize: stats.unpackedSize, seconds: stats.seconds });
  return record;
}

/** findBuild returns the record of the last build of `key`, or undefined when there is none. */
export async function findBuild(store: BlobStore, key: BuildKey): Promise<BuildRecord | undefined> {
  const record = await store.getMemo<BuildRecord>(MEMO_KIND, memoKey(key));
  return record && record.name === key.name && record.manifestFile === key.manifestFile ? record : undefined;
}

/**
 * storedBuild opens the image or index with manifest `digest` from the store (an index with every child, each by
 * its platform); a missing or altered blob throws.
 */
export async function storedBuild(store: BlobStore, digest: Digest): Promise<ImageOrIndex> {
  const raw = await storedManifest(store, digest);
  const parsed = JSON.parse(raw.toString('utf8')) as { mediaType?: string };
  if (!isIndexMediaType(parsed.mediaType)) return storedImage(store, digest);
  const index = parsed as Index;
  const children = [];
  for (const descriptor of index.manifests) {
    children.push({ platform: descriptor.platform ?? { os: 'linux', architecture: 'amd64' }, image: await storedImage(store, descriptor.digest) });
  }
  const rebuilt = indexFromImages(children, index.annotations);
  if ((await rebuilt.digest()) !== digest) throw new IntegrityError(`cached index ${digest} is not one kiln wrote`);
  return rebuilt;
}

async function storedManifest(store: BlobStore, digest: Digest): Promise<Buffer> {
  if (!(await store.has(digest))) throw new IntegrityError(`image ${digest} is no longer in the cache at ${store.root}`);
  const rawManifest = await store.read(digest);
  if (sha256(rawManifest) !== digest) throw new IntegrityError(`cached manifest ${digest} does not match its digest`);
  return rawManifest;
}

/** storedImage opens the image with manifest `digest` from the store; a missing or altered blob throws. */
export async function storedImage(store: BlobStore, digest: Digest): Promise<Image> {
  const rawManifest = await storedManifest(store, digest);
  const manifest = JSON.parse(rawManifest.toString('utf8')) as Manifest;
  const rawConfig = checkedConfig(`image ${digest}`, await store.read(manifest.config.digest), manifest.config);
  const config = JSON.parse(rawConfig.toString('utf8')) as ImageConfig;
  const layers: Layer[] = [];
  for (const [i, descriptor] of manifest.layers.entries()) {
    if (!(await store.has(descriptor.digest))) throw new IntegrityError(`image ${digest}: layer ${descriptor.digest} is no longer in the cache at ${store.root}`);
    layers.push(blobLayer({
      mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size,
      diffId: config.rootfs.diff_ids[i]!, open: () => store.open(descriptor.digest),
    }));
  }
  return imageFromRaw({ rawManifest: async () => rawManifest, rawConfig: async () => rawConfig, layers: async () => layers });
}

/** storedAttachments reads a record's attachments back from the store, each checked against its digest. */
export async function storedAttachments(store: BlobStore, record: BuildRecord): Promise<Attachment[]> {
  const attachments: Attachment[] = [];
  for (const recorded of record.attachments ?? []) {
    if (!(await store.has(recorded.digest))) throw new IntegrityError(`${record.name}: attachment ${recorded.digest} is no longer in the cache at ${store.root}`);
    const data = await store.read(recorded.digest);
    if (sha256(data) !== recorded.digest) throw new IntegrityError(`${record.name}: cached attachment ${recorded.digest} does not match its digest`);
    attachments.push({ mediaType: recorded.mediaType, data, annotations: recorded.annotations, ...(recorded.subject ? { subject: recorded.subject } : {}) });
  }
  return attachments;
}

const BY_KEY = 'images-by-key';

/**
 * rememberImage records that the entry with image key `key` (see apply/image-key.ts) was built into `image`, after
 * keeping every blob of it in the store: a later build of the same key takes it from there.
 */
export async function rememberImage(store: BlobStore, key: Digest, image: Image, what: string): Promise<Digest> {
  const digest = await keepImage(store, image, what);
  await store.setMemo(BY_KEY, digestHex(key), { digest });
  return digest;
}

/** recalledImage returns the image remembered for `key`, or undefined when there is none or a blob of it is gone. */
export async function recalledImage(store: BlobStore, key: Digest): Promise<Image | undefined> {
  const memo = await store.getMemo<{ digest: Digest }>(BY_KEY, digestHex(key));
  return memo ? storedImage(store, memo.digest).catch(() => undefined) : undefined;
}
