// The build as a graph for a workflow engine, plain data from the pinned plan: one build task per entry (pushing by
// digest), then one tag task needing them all. Each target folder (argo, github) only renders it.
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { BuildPlan } from '../plan/index.js';

/** KILN_UID is the user kiln's image runs as (the distroless "nonroot" id), and the only one the pods allow. */
export const KILN_UID = 65532;

/** POD_PATHS are where a pod's writable and mounted paths go; the image's root stays read-only. */
export const POD_PATHS = {
  cache: '/kiln/cache',
  registryAuth: '/kiln/registry-auth',
  tmp: '/tmp',
} as const;

/**
 * DEFAULT_RESOURCES are what one build pod asks for. Measured (README "On paper"): a python3 entry on a Debian base,
 * fresh cache, took 6-8 CPU-seconds over ~20 s and peaked at 215 MiB resident; the request covers that with room,
 * the limit leaves headroom for bigger wheels. Entries with large wheels (torch) pass --memory/--memory-limit.
 */
export const DEFAULT_RESOURCES: PodResources = { cpu: '500m', memory: '512Mi', cpuLimit: '2', memoryLimit: '2Gi' };

/** PodResources are one build pod's requests and limits, as Kubernetes quantities. */
export interface PodResources {
  cpu: string;
  memory: string;
  cpuLimit: string;
  memoryLimit: string;
}

/** RetryPolicy is how often a failed build task runs again and how long it waits first (doubling each time). */
export interface RetryPolicy {
  limit: number;
  /** backoff is the first wait, a Go duration such as `30s`. */
  backoff: string;
}

/** WorkflowTask is one entry's build task. */
export interface WorkflowTask {
  /** id is a name every engine accepts (lowercase letters, digits, dashes), unique in the workflow. */
  id: string;
  entry: string;
  /** args are kiln's arguments in the pod or job. */
  args: string[];
}

/** WorkflowModel is the whole graph: build tasks in plan order, then the tag step that needs them all. */
export interface WorkflowModel {
  context: string;
  image: string;
  tasks: WorkflowTask[];
  /** tagArgs are kiln's arguments for the tag step, to which each task's `--built NAME@DIGEST` lines are added. */
  tagArgs: string[];
  /** secret names the registry credentials (a kubernetes.io/dockerconfigjson Secret, or a CI secret holding config.json); each target has a default. */
  secret?: string;
  resources: PodResources;
  retry: RetryPolicy;
  /** parallelism bounds the build tasks running at once; undefined leaves it to the engine. */
  parallelism?: number;
}

/** WorkflowOptions are the command line's choices. */
export interface WorkflowOptions {
  context: string;
  image: string;
  only?: string[];
  secret?: string;
  resources?: Partial<PodResources>;
  retry?: Partial<RetryPolicy>;
  parallelism?: number;
}

const SCALE: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** quantity reads a Kubernetes quantity (`500m`, `2`, `1Gi`) as a number, to compare requests with limits. */
export function quantity(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(text);
  if (!match) throw new UsageError(`"${text}" is not a Kubernetes quantity like 500m, 2 or 1Gi`);
  return Number(match[1]) * SCALE[match[2] ?? '']!;
}

const PINNED = /^[^\s@]+@sha256:[0-9a-f]{64}$/;

/** taskId turns an entry name into a task name engines accept: `server/3.11-cpu` -> `server-3-11-cpu`. */
export function taskId(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'entry';
  // Two names can fold to one slug (`a.b`, `a/b`): a short hash of the real name keeps them apart.
  return slug === name && slug.length <= 50 ? slug : `${slug.slice(0, 50).replace(/-+$/, '')}-${createHash('sha256').update(name).digest('hex').slice(0, 6)}`;
}

/** buildArgs are kiln's arguments to build one entry from the context and push it by digest (`NAME@DIGEST` on stdout). */
export function buildArgs(context: string, entry: string): string[] {
  return ['build', '--context', context, '--only', entry, '--push-by-digest'];
}

/** workflowModel lays the plan's entries out as build tasks and a tag step; an entry that publishes nowhere is refused. */
export function workflowModel(plan: BuildPlan, options: WorkflowOptions): WorkflowModel {
  // A tag or a mutable reference could be repointed between the emit and the pods pulling it: digests only.
  if (!PINNED.test(options.context)) throw new UsageError(`--context "${options.context}" must be REF@sha256:DIGEST, as kiln context push prints it`);
  if (!options.image) throw new UsageError('--image is required: the reference of kiln\'s own image (built with kiln self-image), ideally by digest');
  const unpublished = plan.images.filter((entry) => !entry.publish).map((entry) => entry.name);
  if (unpublished.length) throw new UsageError(`${unpublished.join(', ')}: no registries to publish to, so nothing would leave the pod (leave them out with --only)`);
  if (plan.images.length === 0) throw new UsageError('no entries to build');
  const ids = new Set<string>();
  const tasks = plan.images.map((entry) => {
    const id = `build-${taskId(entry.name)}`;
    if (ids.has(id)) throw new UsageError(`${entry.name}: its task name ${id} is taken by another entry`);
    ids.add(id);
    return { id, entry: entry.name, args: buildArgs(options.context, entry.name) };
  });
  const only = (options.only ?? []).flatMap((pattern) => ['--only', pattern]);
  const retry = { limit: 2, backoff: '30s', ...options.retry };
  if (!Number.isInteger(retry.limit) || retry.limit < 0) throw new UsageError(`--retries "${retry.limit}" is not a whole number`);
  if (!/^\d+(ms|s|m|h)$/.test(retry.backoff)) throw new UsageError(`--backoff "${retry.backoff}" is not a duration like 30s or 2m`);
  if (options.parallelism !== undefined && (!Number.isInteger(options.parallelism) || options.parallelism < 1)) {
    throw new UsageError(`--parallelism "${options.parallelism}" is not a positive integer`);
  }
  const resources = { ...DEFAULT_RESOURCES, ...options.resources };
  // The API server refuses a pod asking for more than its limit: say so now, not at submit.
  if (quantity(resources.cpu) > quantity(resources.cpuLimit)) throw new UsageError(`--cpu ${resources.cpu} is more than --cpu-limit ${resources.cpuLimit}`);
  if (quantity(resources.memory) > quantity(resources.memoryLimit)) throw new UsageError(`--memory ${resources.memory} is more than --memory-limit ${resources.memoryLimit}`);
  return {
    context: options.context,
    image: options.image,
    tasks,
    tagArgs: ['tag', '--context', options.context, ...only],
    ...(options.secret ? { secret: options.secret } : {}),
    resources,
    retry,
    ...(options.parallelism !== undefined ? { parallelism: options.parallelism } : {}),
  };
}
