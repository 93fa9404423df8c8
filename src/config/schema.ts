// The kiln.yaml schema: the schema is the parser, YAML in, kiln's own types out.
import { z } from 'zod';
import { SEVERITIES } from '../plan/scan-policy.js';
import { SLIM_RULE_NAMES } from '../plan/slim-rules.js';

const stringList = z.array(z.string());
const stringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

/** PLATFORM_OS and PLATFORM_ARCHITECTURES are the values kiln builds for (GOOS/GOARCH spelling, as OCI uses). */
export const PLATFORM_OS = ['linux'] as const;
export const PLATFORM_ARCHITECTURES = ['amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x', 'riscv64'] as const;

const platformSchema = z.string().refine((platform) => {
  const [os, arch, variant, ...rest] = platform.split('/');
  return rest.length === 0 && (PLATFORM_OS as readonly string[]).includes(os ?? '') && (PLATFORM_ARCHITECTURES as readonly string[]).includes(arch ?? '')
    && (variant === undefined || /^v\d+$/.test(variant));
}, { error: (issue) => `"${String(issue.input)}" is not a platform: use os/arch[/variant] with os ${PLATFORM_OS.join('|')} and arch ${PLATFORM_ARCHITECTURES.join('|')} (e.g. linux/amd64, linux/arm/v7)` });

// The runtime splits each "KEY=value" at the first "=", and C strings end at NUL.
const envKey = z.string().min(1, 'an environment variable name cannot be empty').refine((key) => !key.includes('=') && !key.includes('\0'), 'an environment variable name cannot contain "=" or a NUL byte');
const envMap = z.record(envKey, z.union([z.string(), z.number(), z.boolean()]).transform(String));

// OCI config `User`: user, uid, user:group, uid:gid (names as useradd accepts them).
const userSchema = z.union([z.string(), z.number()]).transform(String)
  .pipe(z.string().regex(/^([A-Za-z_][A-Za-z0-9_.-]*\$?|\d+)(:([A-Za-z_][A-Za-z0-9_.-]*\$?|\d+))?$/, 'user must be name|uid[:group|gid], e.g. 65532 or app:app'));

/** distroBaseSchema: a base assembled from distro packages, e.g. `{ distro: debian, release: bookworm, packages: [python3] }`. */
export const distroBaseSchema = z.object({
  distro: z.enum(['debian', 'ubuntu']),
  release: z.string().min(1),
  packages: stringList.default([]),
  /** components are the archive areas read in every suite; default Debian [main], Ubuntu [main, universe]. */
  components: z.array(z.string().regex(/^[a-z][a-z0-9-]*$/, 'a component is a word like main, non-free or universe')).min(1).optional(),
  /** layers stack named package sets on the base, each its own layer, leaving the base below unchanged. */
  layers: z.record(
    z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'layer names are lower-case letters, digits, ".", "_" and "-"'),
    z.array(z.string()).min(1),
  ).optional(),
  exclude: stringList.default([]),
  variant: z.enum(['distroless', 'slim']).default('distroless'),
  recommends: z.boolean().default(false),
  mirror: z.string().url().optional(),
  security_mirror: z.string().url().optional(),
  keyring: z.string().optional(),
  layering: z.enum(['single', 'grouped']).default('grouped'),
  /** closure: `runtime` leaves build tools (compilers, binutils, -dev packages) out unless named in packages; `full` keeps every dependency. */
  closure: z.enum(['runtime', 'full']).default('runtime'),
  /** slim: file rules that drop what a server never reads (docs, man pages, headers, tests...); false keeps every file. */
  slim: z.union([z.boolean(), z.object({
    // rules to apply, by name; default every rule (src/plan/slim-rules.ts).
    rules: z.array(z.enum(SLIM_RULE_NAMES)).optional(),
    // keep: globs of paths no rule removes, e.g. usr/include/**
    keep: stringList.default([]),
    // drop: globs of paths removed as well, e.g. usr/share/zoneinfo/right/**
    drop: stringList.default([]),
  }).strict()]).default(true),
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
  /** build_sdists: `builder` allows building sdists that need compiling in a builder container. */
  build_sdists: z.enum(['native', 'builder']).default('native'),
}).strict();

const annotationsSchema = z.object({
  source: z.string().optional(),
  revision: z.string().optional(),
  version: z.string().optional(),
  title: z.string().optional(),
  description: z.string().optional(),
}).strict();

const variableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name (letters, digits, "_")');

/** dockerSecretSchema: a secret `docker build --secret` passes to RUN steps, from a file or an environment variable (never its value). */
const dockerSecretSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a secret id is letters, digits, ".", "_" and "-"'),
  /** src is a file (relative to kiln.yaml) holding the secret. */
  src: z.string().min(1).optional(),
  /** env names the variable holding the secret when kiln runs. */
  env: variableName.optional(),
  /** target is where RUN steps read it (default /run/secrets/<id>), e.g. /root/.netrc for pip. */
  target: z.string().regex(/^\//, 'target is an absolute path').optional(),
}).strict().refine((secret) => (secret.src === undefined) !== (secret.env === undefined), 'a secret takes one of src (a file) or env (a variable)');

/** dockerSchema: what the docker and buildah backends pass to their builder; the native backend runs no Dockerfile. */
export const dockerSchema = z.object({
  /** build_args are `--build-arg`s: the generated Dockerfile declares them, so its RUN steps (apt, pip) see them. */
  build_args: z.record(variableName, z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
  /** network is `--network` for RUN steps (host, none, or a network name). */
  network: z.string().min(1).optional(),
  secrets: z.array(dockerSecretSchema).default([]),
}).strict();

/** imageSchema: one image of the manifest. */
export const imageSchema = z.object({
  base: baseSchema,
  /** platform is one platform, or a list: one image per platform, published as an OCI image index. */
  platform: z.union([platformSchema, z.array(platformSchema).min(1).refine((list) => new Set(list).size === list.length, 'a platform is listed twice')]).default('linux/amd64'),
  app: appSchema.optional(),
  entrypoint: stringList.optional(),
  cmd: stringList.optional(),
  env: envMap.default({}),
  workdir: z.string().optional(),
  user: userSchema.default('65532'),
  ports: z.array(z.union([z.number().int().min(1).max(65535), z.string().regex(/^\d+(\/(tcp|udp))?$/)])).default([]),
  labels: stringMap.default({}),
  annotations: annotationsSchema.default({}),
  outputs: stringList.default([]),
  python: pythonSchema.optional(),
  /** compression of the layers kiln writes: gzip (default; every runtime reads it) or zstd (OCI tar+zstd). */
  compression: z.enum(['gzip', 'zstd']).optional(),
  docker: dockerSchema.optional(),
}).strict();

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const name = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'names are lower-case letters, digits, ".", "_" and "-"');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

// YAML reads 3.10 as the number 3.1, so a decimal matrix value would silently lose digits.
const matrixValue = z.union([
  z.string().min(1),
  z.number().refine(Number.isInteger, 'a decimal number here loses digits in YAML (3.10 reads as 3.1): quote it, e.g. "3.10"'),
  z.boolean(),
]).transform(String);
const axisName = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'axis names are lower-case letters, digits and "_"');
const selectorSchema = z.record(axisName, z.union([matrixValue, z.array(matrixValue).min(1)]));

// Layers (defaults, presets, images, overrides) may each give part of an image; the merged whole must be a full image.
const baseLayerSchema = z.union([z.string().min(1), distroBaseSchema.partial()]);
const imageLayerShape = {
  ...imageSchema.partial().shape,
  base: baseLayerSchema.optional(),
  // A platform may be a template (`linux/{arch}` with a matrix axis): checked once rendered, per entry.
  platform: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).default('linux/amd64'),
  app: appSchema.partial().optional(),
  python: pythonSchema.partial().optional(),
  annotations: annotationsSchema.partial().optional(),
  docker: dockerSchema.partial().optional(),
};

/** scanPolicySchema: which findings stop publishing, as trivy's --severity, --ignore-unfixed and --ignorefile. */
const scanPolicySchema = z.object({
  severity: z.array(z.enum(SEVERITIES)).min(1).optional(),
  ignore_unfixed: z.boolean().optional(),
  /** ignorefile is relative to kiln.yaml. */
  ignorefile: z.string().min(1).optional(),
}).strict();

/** publishingShape: how an image is tagged, published and scanned. */
const publishingShape = {
  /** tags are templates: `{version}`, `{python}`, `{git.short}`, ... (default `latest`, or the entry name in a matrix). */
  tags: z.array(z.string().min(1)).min(1).optional(),
  /** publish lists registry names (default: every registry), or false to build only. */
  publish: z.union([z.array(name), z.literal(false)]).optional(),
  /** scan gates publishing: true (CRITICAL and HIGH findings fail), a policy, or false (default). */
  scan: z.union([z.boolean(), scanPolicySchema]).optional(),
  /** sbom: false keeps the image's SBOM from being attached to it (registries and oci: outputs); default true. */
  sbom: z.boolean().optional(),
  /** immutable_tags refuse to move a tag that already names another digest. */
  immutable_tags: z.boolean().optional(),
  /** vars add or change template variables for the images this layer applies to (e.g. per matrix entry). */
  vars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'variable names are letters, digits and "_"'), scalar).optional(),
};

const extendsSchema = z.union([name, z.array(name)]);

/** layerSchema: image fields any layer may set (defaults, override `set`). */
export const layerSchema = z.object({ ...imageLayerShape, ...publishingShape }).strict();

/** presetSchema: named image fields that images (and other presets) extend. */
export const presetSchema = z.object({ ...imageLayerShape, ...publishingShape, extends: extendsSchema.optional() }).strict();

/** overrideSchema: fields set (and presets extended) on the matrix entries `when` selects. */
export const overrideSchema = z.object({ when: selectorSchema, set: layerSchema.extend({ extends: extendsSchema.optional() }).strict() }).strict();

/** imageEntrySchema: one image of the manifest, possibly a matrix of entries. */
export const imageEntrySchema = z.object({
  ...imageLayerShape,
  ...publishingShape,
  extends: extendsSchema.optional(),
  matrix: z.record(axisName, z.array(matrixValue)).optional(),
  include: z.array(z.record(axisName, matrixValue)).optional(),
  exclude: z.array(selectorSchema).optional(),
  overrides: z.array(overrideSchema).optional(),
  /** name is a template for the entry name after the `image/` (default: the axis values joined by "-"). */
  name: z.string().min(1).optional(),
}).strict();

/** registrySchema: a place images are published to, with credentials from named environment variables. */
export const registrySchema = z.object({
  /** repository is `host[:port]/namespace`; images go to `<repository>/<image>:<tag>`. */
  repository: z.string().regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._/-]+)?$/, 'repository must look like host[:port]/namespace'),
  username_env: envName.optional(),
  password_env: envName.optional(),
  /** only_if names an environment variable: when unset, the registry is skipped with a notice. */
  only_if: envName.optional(),
  insecure: z.boolean().default(false),
}).strict().refine((r) => (r.username_env === undefined) === (r.password_env === undefined), 'username_env and password_env go together');

// A path inside a source's tree: relative, without `..`, so it cannot leave the tree.
const treePath = z.string().min(1).refine((path) => !path.startsWith('/') && !path.split('/').includes('..'), 'must be a path inside the source (relative, no "..")');

/** sourceSchema: an upstream git repository, pinned in kiln.lock, checked out (sparsely) with a patch series applied. */
export const sourceSchema = z.object({
  /** git is the remote URL (https://, ssh://, file://, or a scp-like host:path); credentials come from git's helpers. */
  git: z.string().min(1),
  /** ref is a tag, branch or commit; kiln.lock pins the commit it named when first synced. */
  ref: z.string().min(1).refine((ref) => !ref.startsWith('-') && !/[\s~^:?*[\\]/.test(ref), 'ref must be a tag, branch or commit name'),
  /** paths limit the checkout (sparse) to these folders or files of the tree. */
  paths: z.array(treePath).default([]),
  /** patches is a folder (relative to kiln.yaml) with the series: `*.patch` in name order, or a quilt `series` file. */
  patches: z.string().min(1).optional(),
  /** version_file is a file of the tree whose first line is `{source.NAME.version}`. */
  version_file: treePath.optional(),
}).strict();

/** SOURCE_PREFIX marks a path in a source's synced tree: `source:NAME/sub/dir`. */
export const SOURCE_PREFIX = 'source:';

/** manifestSchema: the whole kiln.yaml. */
export const manifestSchema = z.object({
  version: z.literal(1).optional(),
  defaults: layerSchema.optional(),
  presets: z.record(name, presetSchema).optional(),
  registries: z.record(name, registrySchema).optional(),
  vars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'variable names are letters, digits and "_"'), scalar).optional(),
  /** version_file holds the `{version}` when the project's pyproject.toml has none. */
  version_file: z.string().min(1).optional(),
  /** sources are upstream repositories images build from (`python.project: source:NAME/dir`). */
  sources: z.record(name, sourceSchema).optional(),
  images: z.record(name, imageEntrySchema)
    .refine((images) => Object.keys(images).length > 0, 'at least one image is needed'),
}).strict();

/** KilnManifest is kiln.yaml after validation; image layers are merged and defaulted per entry (see entries.ts). */
export type KilnManifest = z.infer<typeof manifestSchema>;
/** ImageSpec is one fully merged, validated image (one matrix entry). */
export type ImageSpec = z.infer<typeof imageSchema>;
/** DistroBaseSpec is a validated distro base. */
export type DistroBaseSpec = z.infer<typeof distroBaseSchema>;
/** SourceSpec is a validated entry of `sources:`. */
export type SourceSpec = z.infer<typeof sourceSchema>;
/** PythonSpec is a validated `python:` section. */
export type PythonSpec = z.infer<typeof pythonSchema>;

/** KNOWN_KEYS is every key the schema accepts, for "did you mean" suggestions. */
export const KNOWN_KEYS: readonly string[] = [
  ...Object.keys(manifestSchema.shape),
  ...Object.keys(imageEntrySchema.shape),
  ...Object.keys(overrideSchema.shape),
  'repository', 'username_env', 'password_env', 'only_if', 'insecure',
  ...Object.keys(distroBaseSchema.shape),
  ...Object.keys(appSchema.shape),
  ...Object.keys(annotationsSchema.shape),
  ...Object.keys(pythonSchema.shape),
  ...Object.keys(sourceSchema.shape),
  ...Object.keys(dockerSchema.shape),
  'id', 'src', 'target',
];
