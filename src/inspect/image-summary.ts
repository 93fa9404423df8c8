// summarizeImage: what `kiln inspect` shows of any image, as plain data: its config, each layer with its sizes and
// what it holds (biggest folders, packages), and the Debian and Python packages with their size and layer.
import type { Image } from '../oci/image.js';
import type { ImageConfig } from '../oci/spec.js';
import { parseOsRelease } from '../sbom/from-layers.js';
import { readImageFiles, topFolders, type ImageFiles } from './image-files.js';
import { imagePackages, type ImagePackages } from './packages.js';

/** ConfigSummary is the runtime config a container starts with. */
export interface ConfigSummary {
  entrypoint?: string[];
  cmd?: string[];
  env: string[];
  user?: string;
  workdir?: string;
  labels: Record<string, string>;
  exposedPorts: string[];
  created?: string;
}

/** LayerSummary is one layer: digests, sizes, its history line and what it holds. */
export interface LayerSummary {
  digest: string;
  diffId: string;
  /** size is the compressed (transferred) size; uncompressedSize the tar's. */
  size: number;
  uncompressedSize: number;
  createdBy?: string;
  comment?: string;
  files: number;
  /** folders are the biggest folders (two levels deep) by file bytes in this layer. */
  folders: Array<{ path: string; size: number; files: number }>;
  /** debs and python name the packages whose files are (mostly) in this layer. */
  debs: string[];
  python: string[];
}

/** ImageSummary is the `kiln inspect --json` document. */
export interface ImageSummary {
  name: string;
  digest: string;
  platform: { os: string; architecture: string; variant?: string };
  os?: { id: string; versionId: string; prettyName?: string };
  /** size is what a pull transfers (config and compressed layers); unpackedSize the layers' tars. */
  size: number;
  unpackedSize: number;
  config: ConfigSummary;
  layers: LayerSummary[];
  debs: Array<{ name: string; version: string; architecture: string; source: string; installedSize: number; layer?: number }>;
  python: Array<{ name: string; version: string; location: string; size: number; layer: number }>;
}

/** ReadImage is an image read once: its summary, and the files and packages behind it (for why and diff). */
export interface ReadImage {
  summary: ImageSummary;
  files: ImageFiles;
  packages: ImagePackages;
}

function configSummary(config: ImageConfig): ConfigSummary {
  const runtime = config.config ?? {};
  return {
    ...(runtime.Entrypoint ? { entrypoint: runtime.Entrypoint } : {}),
    ...(runtime.Cmd ? { cmd: runtime.Cmd } : {}),
    env: runtime.Env ?? [],
    ...(runtime.User ? { user: runtime.User } : {}),
    ...(runtime.WorkingDir ? { workdir: runtime.WorkingDir } : {}),
    labels: runtime.Labels ?? {},
    exposedPorts: Object.keys(runtime.ExposedPorts ?? {}).sort(),
    ...(config.created ? { created: config.created } : {}),
  };
}

function osOf(files: ImageFiles): ImageSummary['os'] {
  const text = files.texts.get('etc/os-release') ?? files.texts.get('usr/lib/os-release');
  const fields = text === undefined ? undefined : parseOsRelease(text);
  const id = fields?.get('ID');
  if (!fields || !id) return undefined;
  const prettyName = fields.get('PRETTY_NAME');
  return { id, versionId: fields.get('VERSION_ID') ?? '', ...(prettyName ? { prettyName } : {}) };
}

/** readImage reads an image's layers once (hashing every file when `digests`) and summarizes it. */
export async function inspectImage(image: Image, options: { name: string; digests?: boolean }): Promise<ReadImage> {
  const manifest = await image.manifest();
  const config = await image.config();
  const files = await readImageFiles(image, { where: options.name, digests: options.digests ?? false });
  const packages = imagePackages(files);
  const history = (config.history ?? []).filter((entry) => !entry.empty_layer);
  const layers: LayerSummary[] = manifest.layers.map((descriptor, i) => {
    const entry = history.length === manifest.layers.length ? history[i] : undefined;
    const contents = files.layers[i]!;
    return {
      digest: descriptor.digest,
      diffId: config.rootfs.diff_ids[i] ?? '',
      size: descriptor.size,
      uncompressedSize: contents.uncompressedSize,
      ...(entry?.created_by ? { createdBy: entry.created_by } : {}),
      ...(entry?.comment ? { comment: entry.comment } : {}),
      files: [...contents.members.values()].filter((member) => member.type !== 'directory').length,
      folders: topFolders(contents.members),
      debs: packages.debs.filter((deb) => deb.layer === i).map((deb) => deb.name),
      python: packages.python.filter((dist) => dist.layer === i).map((dist) => dist.name),
    };
  });
  const os = osOf(files);
  const summary: ImageSummary = {
    name: options.name,
    digest: await image.digest(),
    platform: { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) },
    ...(os ? { os } : {}),
    size: manifest.config.size + manifest.layers.reduce((sum, layer) => sum + layer.size, 0),
    unpackedSize: layers.reduce((sum, layer) => sum + layer.uncompressedSize, 0),
    config: configSummary(config),
    layers,
    debs: packages.debs.map(({ name, version, architecture, source, installedSize, layer }) => ({ name, version, architecture, source, installedSize, ...(layer === undefined ? {} : { layer }) })),
    python: packages.python.map(({ name, version, location, size, layer }) => ({ name, version, location: `/${location}`, size, layer })),
  };
  return { summary, files, packages };
}
