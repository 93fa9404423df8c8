// An SBOM read back from where it was attached to an image: the image's referrers in a registry (the referrers API,
// else the referrers tag) or in an oci: layout. Every byte is checked against the digest that names it, and the
// artifact must really name the image as its subject.
import type { BlobStore } from '../cache/blob-store.js';
import { InputError, IntegrityError, UsageError } from '../errors.js';
import type { Digest } from '../oci/digest.js';
import { isIndexMediaType } from '../oci/media-types.js';
import { Annotation, type Descriptor, type Index, type Manifest } from '../oci/spec.js';
import { readLayoutBlob, readOciLayout, readOciReferrers } from '../places/oci-layout.js';
import { parsePlace } from '../places/place.js';
import { dockerConfigCredentials, insecureRegistries, listReferrers, parseReference, Registries } from '../registry/index.js';
import { DEFAULT_PLATFORM, fetchBlob, selectPlatform, type PlatformWanted } from '../registry/pull.js';
import { formatReference, stripDockerScheme } from '../registry/reference.js';
import { CYCLONEDX_MEDIA_TYPE } from './cyclonedx.js';

/** SBOM_MEDIA_TYPES maps each SBOM format kiln reads to the media type it is attached with. */
export const SBOM_MEDIA_TYPES: Record<string, string> = {
  cyclonedx: CYCLONEDX_MEDIA_TYPE,
  spdx: 'application/spdx+json',
};

/** AttachedSbom is one SBOM document found attached to an image. */
export interface AttachedSbom {
  format: string;
  mediaType: string;
  data: Buffer;
  /** artifact is the digest of the artifact manifest that carried it. */
  artifact: Digest;
  /** subject is the digest of the image it is attached to. */
  subject: Digest;
}

/** ReadSbomOptions: which format (any, when only one is attached), the cache, the environment, the platform of an index. */
export interface ReadSbomOptions {
  store: BlobStore;
  env: NodeJS.ProcessEnv;
  format?: string;
  platform?: PlatformWanted;
}

// Where the image lives, reduced to what finding an SBOM needs: its referrers and a way to read blobs.
interface Source {
  where: string;
  subjects: Digest[];
  referrers(subject: Digest): Promise<Descriptor[]>;
  manifest(descriptor: Descriptor): Promise<Buffer>;
  blob(descriptor: Descriptor): Promise<Buffer>;
}

function formatOf(mediaType: string | undefined): string | undefined {
  return Object.entries(SBOM_MEDIA_TYPES).find(([, type]) => type === mediaType)?.[0];
}

async function registrySource(text: string, options: ReadSbomOptions): Promise<Source> {
  const reference = parseReference(stripDockerScheme(text));
  const registries = new Registries({ credentials: dockerConfigCredentials(options.env), insecure: insecureRegistries(options.env) });
  const client = registries.client(reference.registry);
  const { repository } = reference;
  const top = await client.getManifest(repository, reference.digest ?? reference.tag ?? 'latest');
  const subjects: Digest[] = [top.digest];
  // An index may carry the SBOM itself, or each platform's image may.
  if (isIndexMediaType(top.mediaType)) {
    subjects.push(selectPlatform(JSON.parse(top.raw.toString('utf8')) as Index, options.platform ?? DEFAULT_PLATFORM, formatReference(reference)).digest);
  }
  return {
    where: formatReference(reference),
    subjects,
    referrers: async (subject) => (await listReferrers(client, repository, subject)).descriptors,
    manifest: async (descriptor) => (await client.getManifest(repository, descriptor.digest)).raw,
    blob: async (descriptor) => {
      await fetchBlob(client, repository, descriptor, options.store);
      return options.store.read(descriptor.digest);
    },
  };
}

async function layoutSource(text: string, options: ReadSbomOptions): Promise<Source> {
  const place = parsePlace(text);
  if (place.transport !== 'oci') throw new UsageError(`${text}: SBOMs are attached in registries and oci: layouts; a docker-archive holds none`);
  const image = await readOciLayout(place.path, place.tag, options.platform);
  return {
    where: text,
    subjects: [await image.digest()],
    referrers: (subject) => readOciReferrers(place.path, subject),
    manifest: (descriptor) => readLayoutBlob(place.path, descriptor, 'SBOM artifact manifest', text),
    blob: (descriptor) => readLayoutBlob(place.path, descriptor, 'SBOM', text),
  };
}

// The newest of several SBOMs of one format (a rebuild with a changed plan but the same image), then by digest.
function newest(descriptors: Descriptor[]): Descriptor {
  const created = (d: Descriptor): string => d.annotations?.[Annotation.created] ?? '';
  return [...descriptors].sort((a, b) => created(a).localeCompare(created(b)) || a.digest.localeCompare(b.digest)).at(-1)!;
}

/**
 * readAttachedSbom finds the SBOM attached to the image at `text` (`docker://REF`, `host/repo:tag`, `...@sha256:...`
 * or `oci:PATH[:TAG]`), and returns its exact bytes. No SBOM attached is an InputError naming the image.
 */
export async function readAttachedSbom(text: string, options: ReadSbomOptions): Promise<AttachedSbom> {
  if (options.format && !SBOM_MEDIA_TYPES[options.format]) {
    throw new UsageError(`--format ${options.format} is not an SBOM format kiln reads: use ${Object.keys(SBOM_MEDIA_TYPES).join(', ')}`);
  }
  const source = /^(oci|docker-archive):/.test(text) ? await layoutSource(text, options) : await registrySource(text, options);
  for (const subject of source.subjects) {
    const sboms = (await source.referrers(subject)).filter((descriptor) => formatOf(descriptor.artifactType));
    if (sboms.length === 0) continue;
    const formats = [...new Set(sboms.map((descriptor) => formatOf(descriptor.artifactType)!))].sort();
    if (!options.format && formats.length > 1) throw new UsageError(`${source.where} has SBOMs in ${formats.join(' and ')}: pick one with --format`);
    const format = options.format ?? formats[0]!;
    const wanted = sboms.filter((descriptor) => formatOf(descriptor.artifactType) === format);
    if (wanted.length === 0) throw new InputError(`${source.where} has no ${format} SBOM attached (it has ${formats.join(', ')})`);
    const chosen = newest(wanted);
    const manifest = JSON.parse((await source.manifest(chosen)).toString('utf8')) as Manifest;
    if (manifest.subject?.digest !== subject) {
      throw new IntegrityError(`${source.where}: SBOM artifact ${chosen.digest} is listed as a referrer but names ${manifest.subject?.digest ?? 'no subject'}, not ${subject}`);
    }
    const mediaType = SBOM_MEDIA_TYPES[format]!;
    const layer = manifest.layers?.find((descriptor) => descriptor.mediaType === mediaType);
    if (!layer) throw new IntegrityError(`${source.where}: SBOM artifact ${chosen.digest} holds no ${mediaType} blob`);
    return { format, mediaType, data: await source.blob(layer), artifact: chosen.digest, subject };
  }
  throw new InputError(`${source.where} has no SBOM attached${options.format ? ` (${options.format} asked)` : ''}`);
}
