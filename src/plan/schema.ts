// The plan file's schema: what `kiln plan --json` writes and `kiln build --plan` reads. The schema is the parser;
// schema/kiln-plan.schema.json is generated from it.
import { z } from 'zod';
import { distroBaseSchema } from '../config/schema.js';
import { PLAN_FORMAT, SEVERITIES, type BuildPlan } from './types.js';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/);
const stringMap = z.record(z.string(), z.string());

const platformSchema = z.object({ os: z.string(), architecture: z.string(), variant: z.string().optional() }).strict();

const baseRefSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('scratch') }).strict(),
  z.object({ kind: z.literal('place'), place: z.string() }).strict(),
  z.object({ kind: z.literal('distro'), spec: distroBaseSchema }).strict(),
]);

const pythonPlanSchema = z.object({
  project: z.string(),
  lock: z.string().optional(),
  groups: z.array(z.string()),
  extras: z.array(z.string()),
  prefix: z.string(),
  indexUrl: z.string().optional(),
  extraIndexUrls: z.array(z.string()),
  findLinks: z.array(z.string()),
  split: z.array(z.string()),
  allowUnhashed: z.boolean(),
  installProject: z.boolean(),
  buildSdists: z.enum(['native', 'builder']).optional(),
}).strict();

const destinationSchema = z.object({
  registry: z.string(),
  repository: z.string(),
  references: z.array(z.string()),
  insecure: z.boolean(),
  credentials: z.object({ usernameEnv: z.string(), passwordEnv: z.string() }).strict().optional(),
  skipped: z.string().optional(),
}).strict();

const runtimeSchema = z.object({
  User: z.string().optional(),
  ExposedPorts: z.record(z.string(), z.object({}).strict()).optional(),
  Env: z.array(z.string()).optional(),
  Entrypoint: z.array(z.string()).nullable().optional(),
  Cmd: z.array(z.string()).nullable().optional(),
  Volumes: z.record(z.string(), z.object({}).strict()).optional(),
  WorkingDir: z.string().optional(),
  Labels: stringMap.optional(),
  StopSignal: z.string().optional(),
}).strict();

const debPackageSchema = z.object({
  name: z.string(),
  version: z.string(),
  architecture: z.string(),
  filename: z.string(),
  sha256: sha256Hex,
  size: z.number().int().nonnegative(),
  source: z.string().optional(),
  mirror: z.string(),
  layer: z.string().optional(),
}).strict();

const pinnedBaseSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('scratch') }).strict(),
  z.object({
    kind: z.literal('distro'), lockName: z.string(), codename: z.string(), packages: z.array(debPackageSchema),
    slim: z.object({ rules: z.array(z.string()), keep: z.array(z.string()), drop: z.array(z.string()) }).strict().optional(),
    omitted: z.array(z.object({ name: z.string(), chain: z.array(z.string()) }).strict()).optional(),
  }).strict(),
  z.object({ kind: z.literal('registry'), reference: z.string(), digest, imageDigest: digest.optional() }).strict(),
  z.object({ kind: z.literal('place'), place: z.string(), digest }).strict(),
]);

const pythonPackageSchema = z.object({
  name: z.string(),
  version: z.string(),
  kind: z.enum(['index', 'url', 'path', 'git', 'project']),
  filename: z.string().min(1),
  sha256: sha256Hex.optional(),
  size: z.number().int().nonnegative().optional(),
  url: z.string().optional(),
  layer: z.string(),
  source: z.object({ dir: z.string(), digest }).strict().optional(),
  git: z.object({ url: z.string(), commit: z.string().regex(/^[0-9a-f]{40}$/), subdirectory: z.string().optional() }).strict().optional(),
  sdist: z.object({ filename: z.string().min(1), sha256: sha256Hex, url: z.string().optional(), build: z.enum(['native', 'builder']) }).strict().optional(),
}).strict();

const pinnedPythonSchema = z.object({
  target: z.object({
    pythonFullVersion: z.string(),
    interpreter: z.string(),
    executable: z.string(),
    libc: z.object({ kind: z.enum(['glibc', 'musl']), version: z.tuple([z.number().int(), z.number().int()]) }).strict(),
    distroPackages: z.boolean(),
    from: z.enum(['packages', 'layers']),
  }).strict(),
  lock: z.object({ path: z.string(), sha256: sha256Hex }).strict(),
  findLinks: z.array(z.string()),
  indexUrls: z.array(z.string()),
  packages: z.array(pythonPackageSchema),
}).strict();

const pinsSchema = z.object({
  base: pinnedBaseSchema,
  python: pinnedPythonSchema.optional(),
  app: z.object({ dir: z.string(), dest: z.string(), exclude: z.array(z.string()).optional(), digest }).strict().optional(),
}).strict();

const imagePlanSchema = z.object({
  name: z.string(),
  image: z.string(),
  entry: stringMap,
  tags: z.array(z.string()),
  destinations: z.array(destinationSchema),
  publish: z.boolean(),
  scan: z.union([z.literal(false), z.object({
    severity: z.array(z.enum(SEVERITIES)).min(1),
    ignoreUnfixed: z.boolean(),
    ignorefile: z.string().optional(),
  }).strict()]),
  sbom: z.boolean(),
  immutableTags: z.boolean(),
  base: baseRefSchema,
  platform: platformSchema,
  platforms: z.array(z.object({ platform: platformSchema, pinned: pinsSchema }).strict()).min(2).optional(),
  app: z.object({ dir: z.string(), dest: z.string(), exclude: z.array(z.string()).optional() }).strict().optional(),
  python: pythonPlanSchema.optional(),
  runtime: runtimeSchema,
  annotations: stringMap,
  created: z.string(),
  epoch: z.number().int(),
  compression: z.literal('zstd').optional(),
  outputs: z.array(z.string()),
  docker: z.object({
    buildArgs: stringMap,
    network: z.string().optional(),
    secrets: z.array(z.object({ id: z.string(), src: z.string().optional(), env: z.string().optional(), target: z.string().optional() }).strict()),
  }).strict().optional(),
  /** pinned is absent only for a multi-platform entry, whose platforms carry the pins. */
  pinned: pinsSchema.optional(),
}).strict().refine((entry) => (entry.platforms ? !entry.pinned : !!entry.pinned), 'an entry pins its inputs in `pinned`, or per platform in `platforms` (not both)');

const pinnedSourceSchema = z.object({
  name: z.string(),
  git: z.string(),
  ref: z.string(),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  paths: z.array(z.string()),
  patches: z.array(z.object({ name: z.string(), sha256: sha256Hex, applied: z.enum(['clean', '3-way']) }).strict()),
  dir: z.string(),
  version: z.string().optional(),
}).strict();

/** planFileSchema is a resolved plan: every entry carries its pins. */
export const planFileSchema = z.object({
  format: z.literal(PLAN_FORMAT),
  manifestFile: z.string(),
  sources: z.array(pinnedSourceSchema).optional(),
  images: z.array(imagePlanSchema),
  notices: z.array(z.string()),
}).strict();

// The parser's output must be a BuildPlan: a field added to the types and not here fails to compile.
const _parsesToBuildPlan: (value: z.output<typeof planFileSchema>) => BuildPlan = (value) => value;
void _parsesToBuildPlan;
