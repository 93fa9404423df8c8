// The docker-archive tarball (`docker-archive:PATH[:REF]`), as `docker save` writes and `docker load` reads it.
// kiln writes gzip layers as OCI blobs plus manifest.json (the layout Docker 25+ saves), so the file is
// also a valid OCI layout once unpacked.
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import type { BlobStore } from '../cache/blob-store.js';
import { digestHex, sha256, VerifyingStream, type Digest } from '../oci/digest.js';
import { imageFromParts, imageFromRaw, serializeJson, type Image } from '../oci/image.js';
import { blobLayer, type Layer } from '../oci/layer.js';
import { isManifestMediaType, layerCompression, MediaType } from '../oci/media-types.js';
import { Annotation, type ImageConfig, type Index, type Manifest } from '../oci/spec.js';
import { GZIP_LEVEL, gzipOfTar, rememberGzip } from '../layer/build.js';
import { parallelGzip } from '../layer/gzip.js';
import type { TarEntry } from '../tar/entry.js';
import { writeTar } from '../tar/write.js';
import { errorMessage, InputError, IntegrityError, OutputError, withContext } from '../errors.js';
import { ensureDir, tempSibling } from './blob-file.js';
import { checkDockerArchiveName } from './place.js';
import { sweepStaleTemps } from './stale-temps.js';

/** DockerArchiveManifestEntry is one element of manifest.json. */
interface DockerArchiveManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/** normalizeRepoTag gives docker load a `name:tag`; a reference without a tag gets `latest`. */
export function normalizeRepoTag(reference: string): string {
  const lastSlash = reference.lastIndexOf('/');
  return reference.slice(lastSlash + 1).includes(':') ? reference : `${reference}:latest`;
}

/** writeDockerArchive writes `image` as a `docker load`-able tar at `path`, atomically. */
export async function writeDockerArchive(path: string, image: Image, reference?: string): Promise<void> {
  // The name may come from an entry name rather than a parsed place: check it before anything is written.
  if (reference) checkDockerArchiveName(reference, `docker-archive:${path}:${reference}`);
  const manifest = await image.manifest();
  const layers = await image.layers();
  const rawConfig = await image.rawConfig();
  const rawManifest = await image.rawManifest();
  const blob = (digest: Digest) => `blobs/sha256/${digestHex(digest)}`;
  const entries: TarEntry[] = [];
  const seen = new Set<string>();
  for (const [i, layer] of layers.entries()) {
    const descriptor = manifest.layers[i]!;
    if (seen.has(descriptor.digest)) continue;
    seen.add(descriptor.digest);
    entries.push({
      path: blob(descriptor.digest),
      type: 'file',
      mode: 0o644,
      size: descriptor.size,
      content: { kind: 'stream', open: () => verifiedStream(layer, descriptor.digest) },
    });
  }
  entries.push({ path: blob(manifest.config.digest), type: 'file', mode: 0o644, content: { kind: 'buffer', data: rawConfig } });
  const manifestDigest = sha256(rawManifest);
  entries.push({ path: blob(manifestDigest), type: 'file', mode: 0o644, content: { kind: 'buffer', data: rawManifest } });
  const repoTags = reference ? [normalizeRepoTag(reference)] : null;
  const dockerManifest: DockerArchiveManifestEntry[] = [{ Config: blob(manifest.config.digest), RepoTags: repoTags, Layers: manifest.layers.map((d) => blob(d.digest)) }];
  entries.push({ path: 'manifest.json', type: 'file', mode: 0o644, content: { kind: 'buffer', data: serializeJson(dockerManifest) } });
  entries.push({ path: 'oci-layout', type: 'file', mode: 0o644, content: { kind: 'buffer', data: serializeJson({ imageLayoutVersion: '1.0.0' }) } });
  const indexEntry = {
    mediaType: await image.mediaType(),
    digest: manifestDigest,
    size: rawManifest.length,
    ...(repoTags ? { annotations: { 'io.containerd.image.name': repoTags[0]!, [Annotation.refName]: repoTags[0]!.slice(repoTags[0]!.lastIndexOf(':') + 1) } } : {}),
  };
  entries.push({ path: 'index.json', type: 'file', mode: 0o644, content: { kind: 'buffer', data: serializeJson({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [indexEntry] }) } });

  await withContext(`writing docker-archive:${path}`, () => ensureDir(dirname(path)), OutputError);
  await sweepStaleTemps(dirname(path), { prefix: basename(path) });
  const temp = tempSibling(path);
  try {
    await withContext(`writing docker-archive:${path}`, async () => {
      await pipeline(writeTar(entries, { epoch: 0, addParents: true }), createWriteStream(temp));
      await rename(temp, path);
    }, OutputError);
  } finally {
    await rm(temp, { force: true }).catch(() => undefined);
  }
}

/** verifiedStream passes a layer's blob through a digest check that fails the stream on mismatch. */
async function verifiedStream(layer: Layer, expected: Digest): Promise<Readable> {
  const source = await layer.compressed();
  const checked = new VerifyingStream(expected, `layer ${expected}`);
  source.on('error', (error) => checked.destroy(error));
  return source.pipe(checked);
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

async function startsWith(file: string, magic: Buffer): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(magic.length);
    const { bytesRead } = await handle.read(head, 0, magic.length, 0);
    return bytesRead === magic.length && head.equals(magic);
  } finally {
    await handle.close();
  }
}

function parseJson<T>(where: string, name: string, data: Buffer): T {
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch (error) {
    throw new InputError(`${where}: ${name} is not valid JSON: ${(error as Error).message}`);
  }
}

interface ArchiveFile {
  digest: Digest;
  size: number;
  gzip: boolean;
}

/**
 * storeArchiveFiles reads the tar (plain or gzipped, as `docker load` accepts) in one pass, putting every
 * regular file into the content-addressed store. Any stream's failure (not a tar, truncated, bad gzip)
 * becomes one InputError: both the pipeline and the entry loop are awaited together, so neither rejects unheard.
 */
async function storeArchiveFiles(path: string, where: string, store: BlobStore): Promise<Map<string, ArchiveFile>> {
  const gzipped = await withContext(`reading ${where}`, () => startsWith(path, GZIP_MAGIC));
  return storeTarFiles(createReadStream(path), gzipped, where, store);
}

// storeTarFiles is storeArchiveFiles over a stream: a file's, or a `docker save` writing to its stdout.
async function storeTarFiles(source: Readable, gzipped: boolean, where: string, store: BlobStore): Promise<Map<string, ArchiveFile>> {
  const files = new Map<string, ArchiveFile>();
  const reader = extract();
  const consume = async () => {
    for await (const entry of reader) {
      if (entry.header.type !== 'file') {
        entry.resume();
        continue;
      }
      const info = await store.write(entry as unknown as Readable);
      files.set(entry.header.name.replace(/^\.\//, ''), { ...info, gzip: await startsWith(store.path(info.digest), GZIP_MAGIC) });
    }
  };
  try {
    const piped = gzipped ? pipeline(source, createGunzip(), reader) : pipeline(source, reader);
    await Promise.all([piped, consume()]);
  } catch (error) {
    reader.destroy();
    throw new InputError(`reading ${where}: not a complete docker-archive tar${gzipped ? ' (gzip)' : ''}: ${errorMessage(error)}`, { cause: error });
  }
  return files;
}

/**
 * ociManifestOf returns the raw OCI manifest an archive's index.json names for this image, if its config and
 * compressed layers are exactly the archive's: kiln (and Docker 25+) save one, and reusing it keeps the digest.
 */
async function ociManifestOf(files: Map<string, ArchiveFile>, store: BlobStore, where: string, chosen: DockerArchiveManifestEntry): Promise<{ raw: Buffer; manifest: Manifest } | undefined> {
  const indexFile = files.get('index.json');
  if (!indexFile) return undefined;
  const index = parseJson<Index>(where, 'index.json', await store.read(indexFile.digest));
  const configDigest = files.get(chosen.Config)?.digest;
  const layerDigests = chosen.Layers.map((name) => files.get(name)?.digest);
  for (const descriptor of index.manifests ?? []) {
    if (!isManifestMediaType(descriptor.mediaType) || typeof descriptor.digest !== 'string' || !descriptor.digest.startsWith('sha256:')) continue;
    const file = files.get(`blobs/sha256/${digestHex(descriptor.digest)}`);
    if (!file || file.digest !== descriptor.digest) continue;
    const raw = await store.read(file.digest);
    const manifest = parseJson<Manifest>(where, `manifest ${descriptor.digest}`, raw);
    const matches = manifest.config?.digest === configDigest
      && Array.isArray(manifest.layers)
      && manifest.layers.length === layerDigests.length
      && manifest.layers.every((layer, i) => layer.digest === layerDigests[i] && ['gzip', 'zstd'].includes(layerCompression(layer.mediaType) ?? 'none'));
    if (matches) return { raw, manifest };
  }
  return undefined;
}

/** readDockerArchive reads the image named `reference` (or the only one) from a `docker save` tarball into the store. */
export async function readDockerArchive(path: string, store: BlobStore, reference?: string): Promise<Image> {
  const where = `docker-archive:${path}${reference ? `:${reference}` : ''}`;
  await withContext(where, () => stat(path));
  return imageFromArchiveFiles(await storeArchiveFiles(path, where, store), where, store, reference);
}

/**
 * readDockerArchiveStream reads the image named `reference` from a plain (not gzipped) docker-archive tar as it is
 * written, e.g. by `docker save` to its stdout: no archive file is written and read back. `where` names the source
 * in errors.
 */
export async function readDockerArchiveStream(source: Readable, where: string, store: BlobStore, reference?: string): Promise<Image> {
  return imageFromArchiveFiles(await storeTarFiles(source, false, where, store), where, store, reference);
}

// imageFromArchiveFiles is the image an archive's stored files describe.
async function imageFromArchiveFiles(files: Map<string, ArchiveFile>, where: string, store: BlobStore, reference?: string): Promise<Image> {
  const manifestFile = files.get('manifest.json');
  if (!manifestFile) throw new InputError(`${where}: no manifest.json (not a docker-archive)`);
  const entries = parseJson<DockerArchiveManifestEntry[]>(where, 'manifest.json', await store.read(manifestFile.digest));
  if (!Array.isArray(entries)) throw new InputError(`${where}: manifest.json is not a list of images`);
  const wanted = reference ? normalizeRepoTag(reference) : undefined;
  const chosen = wanted ? entries.find((e) => e.RepoTags?.includes(wanted)) : entries.length === 1 ? entries[0] : undefined;
  if (!chosen) throw new InputError(wanted ? `${where}: no image tagged ${wanted}` : `${where}: holds ${entries.length} images; name one with :REF`);
  const configFile = files.get(chosen.Config);
  if (!configFile) throw new InputError(`${where}: config ${chosen.Config} missing from the archive`);
  const rawConfig = await store.read(configFile.digest);
  const config = parseJson<ImageConfig>(where, chosen.Config, rawConfig);
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== chosen.Layers.length) throw new InputError(`${where}: config lists ${diffIds.length} diff_ids for ${chosen.Layers.length} layers`);
  const stored = await ociManifestOf(files, store, where, chosen);
  if (stored) {
    // The archive's own OCI manifest: same bytes, same digest (and annotations) as the image that was saved.
    const layers = stored.manifest.layers.map((d, i) => blobLayer({ mediaType: d.mediaType, digest: d.digest, size: d.size, diffId: diffIds[i]!, open: () => store.open(d.digest) }));
    return imageFromRaw({ rawManifest: async () => stored.raw, rawConfig: async () => rawConfig, layers: async () => layers });
  }
  const layers: Layer[] = [];
  for (const [i, name] of chosen.Layers.entries()) {
    const file = files.get(name);
    if (!file) throw new InputError(`${where}: layer ${name} missing from the archive`);
    const diffId = diffIds[i]!;
    if (file.gzip) {
      layers.push(blobLayer({ mediaType: MediaType.ociLayerGzip, digest: file.digest, size: file.size, diffId, open: () => store.open(file.digest) }));
      continue;
    }
    // An uncompressed layer's digest is its diffId: check it, then gzip it once into the store.
    if (file.digest !== diffId) throw new IntegrityError(`${where}: layer ${name}: digest mismatch: expected ${diffId}, got ${file.digest}`);
    let gzipped = await gzipOfTar(store, diffId);
    if (!gzipped) {
      const written = await store.write((await store.open(file.digest)).pipe(parallelGzip({ level: GZIP_LEVEL })));
      gzipped = { ...written, diffId, uncompressedSize: file.size };
      await rememberGzip(store, gzipped);
    }
    layers.push(blobLayer({ mediaType: MediaType.ociLayerGzip, digest: gzipped.digest, size: gzipped.size, diffId, uncompressedSize: file.size, open: () => store.open(gzipped.digest) }));
  }
  // Without a matching OCI manifest in the archive one is computed, so the image digest is kiln's.
  return imageFromParts({ config, layers });
}
