// The docker-archive tarball (`docker-archive:PATH[:REF]`), as `docker save` writes and `docker load` reads it.
// kiln writes gzip layers as OCI blobs plus manifest.json (the layout Docker 25+ saves), so the file is
// also a valid OCI layout once unpacked.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { extract } from 'tar-stream';
import type { BlobStore } from '../cache/blob-store.js';
import { digestHex, sha256, VerifyingStream, type Digest } from '../oci/digest.js';
import { imageFromParts, serializeJson, type Image } from '../oci/image.js';
import { blobLayer, type Layer } from '../oci/layer.js';
import { MediaType } from '../oci/media-types.js';
import { Annotation, type ImageConfig } from '../oci/spec.js';
import { GZIP_LEVEL } from '../layer/build.js';
import type { TarEntry } from '../tar/entry.js';
import { writeTar } from '../tar/write.js';
import { InputError, IntegrityError, OutputError, withContext } from '../errors.js';
import { tempSibling } from './blob-file.js';

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

  await withContext(`writing docker-archive:${path}`, () => mkdir(dirname(path), { recursive: true }), OutputError);
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

/** readDockerArchive reads the image named `reference` (or the only one) from a `docker save` tarball into the store. */
export async function readDockerArchive(path: string, store: BlobStore, reference?: string): Promise<Image> {
  const where = `docker-archive:${path}${reference ? `:${reference}` : ''}`;
  await withContext(where, () => stat(path));
  // One pass over the tar: every regular file goes into the content-addressed store by digest.
  const files = new Map<string, { digest: Digest; size: number; gzip: boolean }>();
  const reader = extract();
  const done = pipeline(createReadStream(path), reader);
  await withContext(`reading ${where}`, async () => {
    for await (const entry of reader) {
      if (entry.header.type !== 'file') {
        entry.resume();
        continue;
      }
      const info = await store.write(entry as unknown as Readable);
      files.set(entry.header.name.replace(/^\.\//, ''), { ...info, gzip: await startsWith(store.path(info.digest), GZIP_MAGIC) });
    }
    await done;
  });
  const manifestFile = files.get('manifest.json');
  if (!manifestFile) throw new InputError(`${where}: no manifest.json (not a docker-archive)`);
  const entries = JSON.parse((await store.read(manifestFile.digest)).toString('utf8')) as DockerArchiveManifestEntry[];
  const wanted = reference ? normalizeRepoTag(reference) : undefined;
  const chosen = wanted ? entries.find((e) => e.RepoTags?.includes(wanted)) : entries.length === 1 ? entries[0] : undefined;
  if (!chosen) throw new InputError(wanted ? `${where}: no image tagged ${wanted}` : `${where}: holds ${entries.length} images; name one with :REF`);
  const configFile = files.get(chosen.Config);
  if (!configFile) throw new InputError(`${where}: config ${chosen.Config} missing from the archive`);
  const config = JSON.parse((await store.read(configFile.digest)).toString('utf8')) as ImageConfig;
  if (config.rootfs.diff_ids.length !== chosen.Layers.length) throw new InputError(`${where}: config lists ${config.rootfs.diff_ids.length} diff_ids for ${chosen.Layers.length} layers`);
  const layers: Layer[] = [];
  for (const [i, name] of chosen.Layers.entries()) {
    const file = files.get(name);
    if (!file) throw new InputError(`${where}: layer ${name} missing from the archive`);
    const diffId = config.rootfs.diff_ids[i]!;
    if (file.gzip) {
      layers.push(blobLayer({ mediaType: MediaType.ociLayerGzip, digest: file.digest, size: file.size, diffId, open: () => store.open(file.digest) }));
      continue;
    }
    // An uncompressed layer's digest is its diffId: check it, then gzip it once into the store.
    if (file.digest !== diffId) throw new IntegrityError(`${where}: layer ${name}: digest mismatch: expected ${diffId}, got ${file.digest}`);
    const gzipped = await store.write((await store.open(file.digest)).pipe(createGzip({ level: GZIP_LEVEL })));
    layers.push(blobLayer({ mediaType: MediaType.ociLayerGzip, digest: gzipped.digest, size: gzipped.size, diffId, uncompressedSize: file.size, open: () => store.open(gzipped.digest) }));
  }
  // docker-archive has no manifest of its own: one is computed, so the image digest is kiln's.
  return imageFromParts({ config, layers });
}
