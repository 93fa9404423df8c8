// planBuild: kiln.yaml + command-line choices -> a BuildPlan of plain data, computed without building.
import { execFileSync } from 'node:child_process';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { DistroBaseSpec, ImageSpec } from '../config/schema.js';
import { loadManifest } from '../config/load.js';
import { Annotation, type RuntimeConfig } from '../oci/spec.js';
import { formatPlace, parsePlace } from '../places/place.js';
import { sourceDateEpoch } from '../tar/write.js';
import { ConfigError, UsageError } from '../errors.js';

/** BaseRef says where an image's base comes from. */
export type BaseRef =
  | { kind: 'scratch' }
  | { kind: 'place'; place: string }
  | { kind: 'distro'; spec: DistroBaseSpec };

/** PlatformSpec is an OCI platform. */
export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

/** PythonPlan is an image's `python:` section with every path absolute. */
export interface PythonPlan {
  /** project is the folder holding pyproject.toml and the lock. */
  project: string;
  /** lock is an explicit lock file; absent means detect it in `project`. */
  lock?: string;
  groups: string[];
  extras: string[];
  prefix: string;
  indexUrl?: string;
  extraIndexUrls: string[];
  findLinks: string[];
  split: string[];
  allowUnhashed: boolean;
  installProject: boolean;
}

/** ImagePlan is everything needed to build one image, as plain data. */
export interface ImagePlan {
  name: string;
  base: BaseRef;
  platform: PlatformSpec;
  app?: { dir: string; dest: string };
  python?: PythonPlan;
  runtime: RuntimeConfig;
  /** annotations go on the manifest and, as labels, into the config. */
  annotations: Record<string, string>;
  /** created is the timestamp written into the config and history (from SOURCE_DATE_EPOCH). */
  created: string;
  epoch: number;
  outputs: string[];
}

/** BuildPlan is what `kiln build` will do. */
export interface BuildPlan {
  manifestFile: string;
  images: ImagePlan[];
}

/** PlanOptions are the command line's choices. */
export interface PlanOptions {
  /** manifestFile is the kiln.yaml path. */
  manifestFile: string;
  /** outputs from -o; `{name}` expands to the image name. They override the manifest's outputs. */
  outputs?: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

function gitRevision(dir: string): string | undefined {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function parsePlatform(text: string): PlatformSpec {
  const [os, architecture, variant] = text.split('/');
  return { os: os!, architecture: architecture!, ...(variant ? { variant } : {}) };
}

/** resolvePlacePath makes a relative oci:/docker-archive: path absolute against `base`. */
function resolvePlacePath(text: string, base: string): string {
  const place = parsePlace(text);
  if (place.transport === 'docker' || isAbsolute(place.path)) return formatPlace(place);
  return formatPlace({ ...place, path: resolve(base, place.path) });
}

function planBase(spec: ImageSpec, manifestDir: string): BaseRef {
  if (typeof spec.base !== 'string') return { kind: 'distro', spec: spec.base };
  if (spec.base === 'scratch') return { kind: 'scratch' };
  return { kind: 'place', place: resolvePlacePath(spec.base, manifestDir) };
}

function planPython(spec: ImageSpec, manifestDir: string, appDir: string | undefined): PythonPlan | undefined {
  const python = spec.python;
  if (!python) return undefined;
  return {
    project: python.project ? resolve(manifestDir, python.project) : appDir ?? manifestDir,
    ...(python.lock ? { lock: resolve(manifestDir, python.lock) } : {}),
    groups: python.groups,
    extras: python.extras,
    prefix: python.prefix,
    ...(python.index_url ? { indexUrl: python.index_url } : {}),
    extraIndexUrls: python.extra_index_urls,
    findLinks: python.find_links.map((dir) => resolve(manifestDir, dir)),
    split: python.split,
    allowUnhashed: python.allow_unhashed,
    installProject: python.install_project,
  };
}

function expandOutputs(outputs: string[], name: string, imageCount: number, base: string): string[] {
  return outputs.map((raw) => {
    let text = raw.replaceAll('{name}', name);
    const place = parsePlace(text);
    if (imageCount > 1 && !raw.includes('{name}')) {
      if (place.transport === 'oci' && !place.tag) text = formatPlace({ ...place, tag: name });
      else if (place.transport !== 'oci') throw new UsageError(`output "${raw}" would receive ${imageCount} images: add {name} to it`);
    }
    return resolvePlacePath(text, base);
  });
}

/** planImage turns one validated manifest entry into an ImagePlan. */
export function planImage(name: string, spec: ImageSpec, manifestDir: string, options: PlanOptions & { imageCount: number; epoch: number }): ImagePlan {
  const created = new Date(options.epoch * 1000).toISOString().replace(/\.000Z$/, 'Z');
  const app = spec.app ? { dir: resolve(manifestDir, spec.app.src), dest: spec.app.dest } : undefined;
  const annotations: Record<string, string> = { [Annotation.created]: created, [Annotation.title]: name };
  const revision = spec.annotations.revision ?? gitRevision(manifestDir);
  if (spec.annotations.source) annotations[Annotation.source] = spec.annotations.source;
  if (revision) annotations[Annotation.revision] = revision;
  if (spec.annotations.version) annotations[Annotation.version] = spec.annotations.version;
  if (spec.annotations.description) annotations[Annotation.description] = spec.annotations.description;
  if (spec.annotations.title) annotations[Annotation.title] = spec.annotations.title;
  const ports = Object.fromEntries(spec.ports.map((port) => [String(port).includes('/') ? String(port) : `${port}/tcp`, {}]));
  const runtime: RuntimeConfig = {
    User: spec.user,
    ...(spec.ports.length ? { ExposedPorts: ports } : {}),
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
    ...(spec.cmd ? { Cmd: spec.cmd } : {}),
    ...(spec.workdir ?? app?.dest ? { WorkingDir: spec.workdir ?? app?.dest } : {}),
    Labels: { ...spec.labels },
  };
  const outputs = options.outputs?.length ? options.outputs : spec.outputs;
  const outputBase = options.outputs?.length ? options.cwd : manifestDir;
  const python = planPython(spec, manifestDir, app?.dir);
  return {
    name,
    base: planBase(spec, manifestDir),
    platform: parsePlatform(spec.platform),
    ...(app ? { app } : {}),
    ...(python ? { python } : {}),
    runtime,
    annotations,
    created,
    epoch: options.epoch,
    outputs: expandOutputs(outputs, name, options.imageCount, outputBase),
  };
}

/** planBuild reads the manifest and plans every image in it. */
export async function planBuild(options: PlanOptions): Promise<BuildPlan> {
  const { manifest } = await loadManifest(options.manifestFile);
  const manifestDir = dirname(resolve(options.manifestFile));
  const names = Object.keys(manifest.images).sort();
  let epoch: number;
  try {
    epoch = sourceDateEpoch(options.env);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const images = names.map((name) => planImage(name, manifest.images[name]!, manifestDir, { ...options, imageCount: names.length, epoch }));
  return { manifestFile: resolve(options.manifestFile), images };
}
