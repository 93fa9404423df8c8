// The kiln.yaml schema: the schema is the parser, YAML in, kiln's own types out.
import { z } from 'zod';

const stringList = z.array(z.string());
const stringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

/** distroBaseSchema: a base assembled from distro packages, e.g. `{ distro: debian, release: bookworm, packages: [python3] }`. */
export const distroBaseSchema = z.object({
  distro: z.enum(['debian', 'ubuntu']),
  release: z.string().min(1),
  packages: stringList.default([]),
  exclude: stringList.default([]),
  variant: z.enum(['distroless', 'slim']).default('distroless'),
  recommends: z.boolean().default(false),
  mirror: z.string().url().optional(),
  security_mirror: z.string().url().optional(),
  keyring: z.string().optional(),
  layering: z.enum(['single', 'grouped']).default('grouped'),
}).strict();

/** baseSchema: a place string (`oci:`, `docker-archive:`, `docker://`), `scratch`, or a distro base. */
export const baseSchema = z.union([z.string().min(1), distroBaseSchema]);

const appSchema = z.object({
  src: z.string().default('.'),
  dest: z.string().default('/app'),
}).strict();

/** pythonSchema: the image's Python environment, installed from a lock into a venv as layers. */
export const pythonSchema = z.object({
  /** project is the folder with pyproject.toml and the lock; default the app's src, else kiln.yaml's folder. */
  project: z.string().optional(),
  lock: z.string().optional(),
  groups: stringList.default(['main']),
  extras: stringList.default([]),
  prefix: z.string().regex(/^\/[^\0]*[^/]$/, 'prefix must be an absolute path like /opt/venv').default('/opt/venv'),
  index_url: z.string().url().optional(),
  extra_index_urls: z.array(z.string().url()).default([]),
  find_links: stringList.default([]),
  split: stringList.default([]),
  allow_unhashed: z.boolean().default(false),
  install_project: z.boolean().default(true),
}).strict();

const annotationsSchema = z.object({
  source: z.string().optional(),
  revision: z.string().optional(),
  version: z.string().optional(),
  title: z.string().optional(),
  description: z.string().optional(),
}).strict();

/** imageSchema: one image of the manifest. */
export const imageSchema = z.object({
  base: baseSchema,
  platform: z.string().regex(/^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/, 'platform must look like linux/amd64').default('linux/amd64'),
  app: appSchema.optional(),
  entrypoint: stringList.optional(),
  cmd: stringList.optional(),
  env: stringMap.default({}),
  workdir: z.string().optional(),
  user: z.union([z.string(), z.number()]).transform(String).default('65532'),
  ports: z.array(z.union([z.number().int().min(1).max(65535), z.string().regex(/^\d+(\/(tcp|udp))?$/)])).default([]),
  labels: stringMap.default({}),
  annotations: annotationsSchema.default({}),
  outputs: stringList.default([]),
  python: pythonSchema.optional(),
}).strict();

/** manifestSchema: the whole kiln.yaml. */
export const manifestSchema = z.object({
  images: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'image names are lower-case letters, digits, ".", "_" and "-"'), imageSchema)
    .refine((images) => Object.keys(images).length > 0, 'at least one image is needed'),
}).strict();

/** KilnManifest is kiln.yaml after validation and defaults. */
export type KilnManifest = z.infer<typeof manifestSchema>;
/** ImageSpec is one validated image entry. */
export type ImageSpec = z.infer<typeof imageSchema>;
/** DistroBaseSpec is a validated distro base. */
export type DistroBaseSpec = z.infer<typeof distroBaseSchema>;
/** PythonSpec is a validated `python:` section. */
export type PythonSpec = z.infer<typeof pythonSchema>;

/** KNOWN_KEYS is every key the schema accepts, for "did you mean" suggestions. */
export const KNOWN_KEYS: readonly string[] = [
  ...Object.keys(manifestSchema.shape),
  ...Object.keys(imageSchema.shape),
  ...Object.keys(distroBaseSchema.shape),
  ...Object.keys(appSchema.shape),
  ...Object.keys(annotationsSchema.shape),
  ...Object.keys(pythonSchema.shape),
];
