// A test executor for the Workflows kiln emits: it reads the YAML as written, walks the DAG in dependency order, and runs
// each task's container with Docker, mapping the pod spec onto `docker run` the way the kubelet maps it onto a container
// runtime. Every field it does not map fails loudly, so an emitted Workflow cannot lean on anything untested here.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, rmdir, writeFile, chmod, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { parse } from 'yaml';

type Json = Record<string, unknown>;

/** UnmappedFieldError: the Workflow uses something this executor does not map onto Docker. */
export class UnmappedFieldError extends Error {}

/** Attempt is one run of a task's container. */
export interface Attempt {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** dockerArgs are the arguments `docker` ran with (after `docker`). */
  dockerArgs: string[];
  seconds: number;
  /** cpuSeconds and peakMemoryBytes come from the container's cgroup (v1), when measuring. */
  cpuSeconds?: number;
  peakMemoryBytes?: number;
}

/** TaskRun is what became of one DAG task. */
export interface TaskRun {
  name: string;
  template: string;
  status: 'Succeeded' | 'Failed' | 'Omitted';
  attempts: Attempt[];
  /** result is the container's stdout (Argo's `outputs.result`), trailing newlines trimmed. */
  result?: string;
}

/** WorkflowRun is the whole run: Succeeded when every task did. */
export interface WorkflowRun {
  phase: 'Succeeded' | 'Failed';
  tasks: TaskRun[];
}

/** ExecutorOptions stand in for the cluster: its Secrets, its capacity, and hooks to observe a run. */
export interface ExecutorOptions {
  /** secrets are the namespace's Secrets by name: key -> value. */
  secrets?: Record<string, Record<string, string | Buffer>>;
  /** capacity bounds tasks running at once when the Workflow sets no parallelism (a 2-core machine is small). */
  capacity?: number;
  /** measure reads each attempt's CPU time and peak memory from its cgroup (needs cgroup v1 and root). */
  measure?: boolean;
  /** onTaskDone runs after each task settles, before its dependents start. */
  onTaskDone?: (task: TaskRun) => Promise<void> | void;
  log?: (line: string) => void;
}

function fields(value: unknown, where: string, allowed: string[]): Json {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UnmappedFieldError(`${where}: expected an object`);
  const unknown = Object.keys(value).filter((key) => !allowed.includes(key));
  if (unknown.length) throw new UnmappedFieldError(`${where}.${unknown[0]}: not mapped by the test executor`);
  return value as Json;
}

function list(value: unknown, where: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new UnmappedFieldError(`${where}: expected a list`);
  return value;
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new UnmappedFieldError(`${where}: expected a string`);
  return value;
}

/** durationMs reads a Go duration (`30s`, `1m`, `500ms`, `1h`). */
export function durationMs(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value);
  if (!match) throw new UnmappedFieldError(`"${value}" is not a duration this executor reads`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
}

/** quantityBytes reads a Kubernetes memory quantity (`512Mi`, `1G`, `1000`). */
export function quantityBytes(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(value);
  if (!match) throw new UnmappedFieldError(`"${value}" is not a memory quantity this executor reads`);
  const scale: Record<string, number> = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Math.round(Number(match[1]) * scale[match[2] ?? '']!);
}

/** quantityCpus reads a Kubernetes CPU quantity (`500m`, `2`, `0.5`). */
export function quantityCpus(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(m)?$/.exec(value);
  if (!match) throw new UnmappedFieldError(`"${value}" is not a CPU quantity this executor reads`);
  return Number(match[1]) / (match[2] ? 1000 : 1);
}

// Argo substitutes `{{...}}` in a template's fields; only the forms kiln's Workflows use are known here.
function substitute(value: string, where: string, known: Record<string, string>): string {
  return value.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (_, name: string) => {
    if (!(name in known)) throw new UnmappedFieldError(`${where}: {{${name}}} is not a variable the test executor knows`);
    return known[name]!;
  });
}

function substituteDeep(value: unknown, where: string, known: Record<string, string>): unknown {
  if (typeof value === 'string') return substitute(value, where, known);
  if (Array.isArray(value)) return value.map((item, i) => substituteDeep(item, `${where}[${i}]`, known));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substituteDeep(item, `${where}.${key}`, known)]));
  return value;
}

interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

function docker(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ exitCode: code ?? 1, stdout, stderr }));
  });
}

interface Mapped {
  dockerArgs: string[];
  cleanup: () => Promise<void>;
}

// The pod spec, as the kubelet would hand it to a runtime: one container, its volumes, its security context.
async function mapPod(spec: Json, template: Json, container: Json, where: string, options: ExecutorOptions): Promise<Mapped> {
  const scratch = await mkdtemp(join(tmpdir(), 'kiln-argo-pod-'));
  const args: string[] = ['--network', 'host'];
  // Security: the pod's context, then the container's over it, field by field (as Kubernetes merges them).
  const podSecurity = fields(spec.securityContext ?? {}, 'spec.securityContext', ['runAsNonRoot', 'runAsUser', 'runAsGroup', 'seccompProfile']);
  const containerSecurity = fields(container.securityContext ?? {}, `${where}.securityContext`, [
    'allowPrivilegeEscalation', 'capabilities', 'readOnlyRootFilesystem', 'runAsNonRoot', 'runAsUser', 'runAsGroup', 'seccompProfile',
  ]);
  const security = { ...podSecurity, ...containerSecurity };
  if (security.runAsUser !== undefined) args.push('--user', `${Number(security.runAsUser)}${security.runAsGroup !== undefined ? `:${Number(security.runAsGroup)}` : ''}`);
  else if (security.runAsGroup !== undefined) throw new UnmappedFieldError(`${where}: runAsGroup without runAsUser is not mapped`);
  if (security.runAsNonRoot === true && !(Number(security.runAsUser) > 0)) {
    // The kubelet checks the image's user when runAsUser is unset; this executor only trusts an explicit one.
    throw new UnmappedFieldError(`${where}: runAsNonRoot needs a non-zero runAsUser here`);
  }
  if (security.readOnlyRootFilesystem === true) args.push('--read-only');
  if (security.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
  if (security.capabilities !== undefined) {
    const capabilities = fields(security.capabilities, `${where}.securityContext.capabilities`, ['drop', 'add']);
    for (const cap of list(capabilities.drop, 'capabilities.drop')) args.push('--cap-drop', text(cap, 'capabilities.drop'));
    for (const cap of list(capabilities.add, 'capabilities.add')) args.push('--cap-add', text(cap, 'capabilities.add'));
  }
  if (security.seccompProfile !== undefined) {
    const profile = fields(security.seccompProfile, `${where}.securityContext.seccompProfile`, ['type']);
    // RuntimeDefault is Docker's default profile: passing nothing keeps it, and nothing may turn it off.
    if (profile.type === 'Unconfined') args.push('--security-opt', 'seccomp=unconfined');
    else if (profile.type !== 'RuntimeDefault') throw new UnmappedFieldError(`${where}: seccompProfile ${String(profile.type)} is not mapped`);
  }

  // Resources: limits are hard (--memory, --cpus), requests become the cgroup weights the kubelet sets from them.
  const resources = fields(container.resources ?? {}, `${where}.resources`, ['requests', 'limits']);
  const limits = fields(resources.limits ?? {}, `${where}.resources.limits`, ['cpu', 'memory']);
  const requests = fields(resources.requests ?? {}, `${where}.resources.requests`, ['cpu', 'memory']);
  // The API server refuses a pod whose request exceeds its limit; so does this executor.
  for (const [what, read] of [['memory', quantityBytes], ['cpu', quantityCpus]] as const) {
    if (limits[what] !== undefined && requests[what] !== undefined && read(String(requests[what])) > read(String(limits[what]))) {
      throw new Error(`${where}.resources: requests.${what} ${String(requests[what])} is more than limits.${what} ${String(limits[what])} (the API server would refuse the pod)`);
    }
  }
  if (limits.memory !== undefined) {
    const bytes = quantityBytes(String(limits.memory));
    args.push('--memory', String(bytes), '--memory-swap', String(bytes));
  }
  if (limits.cpu !== undefined) args.push('--cpus', String(quantityCpus(String(limits.cpu))));
  if (requests.cpu !== undefined) args.push('--cpu-shares', String(Math.max(2, Math.round(quantityCpus(String(requests.cpu)) * 1024))));
  if (requests.memory !== undefined) args.push('--memory-reservation', String(quantityBytes(String(requests.memory))));

  for (const [i, item] of list(container.env, `${where}.env`).entries()) {
    const variable = fields(item, `${where}.env[${i}]`, ['name', 'value']);
    args.push('--env', `${text(variable.name, 'env.name')}=${text(variable.value ?? '', 'env.value')}`);
  }

  // Volumes: an emptyDir is a fresh writable directory per pod (tmpfs here), a Secret is read-only files from its keys.
  const volumes = new Map(list(spec.volumes, 'spec.volumes').map((item, i) => {
    const volume = fields(item, `spec.volumes[${i}]`, ['name', 'emptyDir', 'secret']);
    return [text(volume.name, `spec.volumes[${i}].name`), volume] as const;
  }));
  if (template.volumes !== undefined) throw new UnmappedFieldError(`${where}: template volumes are not mapped`);
  for (const [i, item] of list(container.volumeMounts, `${where}.volumeMounts`).entries()) {
    const mount = fields(item, `${where}.volumeMounts[${i}]`, ['name', 'mountPath', 'readOnly']);
    const path = normalize(text(mount.mountPath, 'mountPath'));
    const volume = volumes.get(text(mount.name, 'volumeMounts.name'));
    if (!volume) throw new UnmappedFieldError(`${where}.volumeMounts[${i}]: no volume "${String(mount.name)}"`);
    if (volume.emptyDir !== undefined) {
      const emptyDir = fields(volume.emptyDir, `volume ${String(mount.name)}.emptyDir`, ['medium', 'sizeLimit']);
      const size = emptyDir.sizeLimit !== undefined ? `,size=${quantityBytes(String(emptyDir.sizeLimit))}` : '';
      // emptyDir is an ordinary directory (mode 0777): exec allowed, unlike Docker's tmpfs default.
      args.push('--tmpfs', `${path}:rw,exec,mode=0777${size}${mount.readOnly === true ? ',ro' : ''}`);
    } else if (volume.secret !== undefined) {
      const source = fields(volume.secret, `volume ${String(mount.name)}.secret`, ['secretName', 'items']);
      const secret = options.secrets?.[text(source.secretName, 'secretName')];
      if (!secret) throw new Error(`${where}: secret "${String(source.secretName)}" not found (the pod would not start)`);
      const dir = join(scratch, `secret-${String(mount.name)}`);
      const items = source.items === undefined
        ? Object.keys(secret).map((key) => ({ key, path: key }))
        : list(source.items, 'secret.items').map((entry, j) => fields(entry, `secret.items[${j}]`, ['key', 'path']) as { key: string; path: string });
      for (const { key, path: file } of items) {
        if (!(key in secret)) throw new Error(`${where}: secret "${String(source.secretName)}" has no key ${key}`);
        const target = join(dir, normalize(file));
        await mkdir(dirname(target), { recursive: true });
        // Kubernetes' defaultMode 0644, owned by root: readable by the pod's user, writable by nobody in it.
        await writeFile(target, secret[key]!);
        await chmod(target, 0o644);
      }
      await chmod(dir, 0o755);
      args.push('--mount', `type=bind,source=${dir},target=${path},readonly`);
    } else {
      throw new UnmappedFieldError(`volume ${String(mount.name)}: only emptyDir and secret are mapped`);
    }
  }

  const command = list(container.command, `${where}.command`).map((word) => text(word, 'command'));
  const containerArgs = list(container.args, `${where}.args`).map((word) => text(word, 'args'));
  if (command.length) args.push('--entrypoint', command[0]!);
  args.push(text(container.image, `${where}.image`), ...command.slice(1), ...containerArgs);
  return { dockerArgs: args, cleanup: () => rm(scratch, { recursive: true, force: true }) };
}

const CGROUP_V1 = '/sys/fs/cgroup';

async function measured(parent: string): Promise<{ cpuSeconds: number; peakMemoryBytes: number }> {
  const cpu = Number(await readFile(join(CGROUP_V1, 'cpuacct', parent, 'cpuacct.usage'), 'utf8'));
  const memory = Number(await readFile(join(CGROUP_V1, 'memory', parent, 'memory.max_usage_in_bytes'), 'utf8'));
  return { cpuSeconds: cpu / 1e9, peakMemoryBytes: memory };
}

async function removeCgroup(parent: string): Promise<void> {
  for (const controller of ['memory', 'cpuacct', 'cpu', 'cpu,cpuacct', 'pids', 'blkio', 'devices', 'freezer', 'cpuset', 'systemd', 'net_cls', 'net_prio', 'perf_event', 'hugetlb']) {
    await rmdir(join(CGROUP_V1, controller, parent)).catch(() => undefined);
  }
}

async function runAttempt(mapped: Mapped, name: string, options: ExecutorOptions): Promise<Attempt> {
  const id = `kiln-argo-${name}-${randomBytes(4).toString('hex')}`;
  // A parent cgroup per attempt outlives the container, so its totals can be read after it exits.
  const measure = options.measure === true && existsSync(join(CGROUP_V1, 'cpuacct')) && existsSync(join(CGROUP_V1, 'memory', 'memory.max_usage_in_bytes'));
  const parent = `/${id}`;
  const started = Date.now();
  const run = await docker(['run', '--rm', '--name', id, ...(measure ? ['--cgroup-parent', parent] : []), ...mapped.dockerArgs]);
  const attempt: Attempt = { ...run, dockerArgs: mapped.dockerArgs, seconds: (Date.now() - started) / 1000 };
  if (measure) {
    Object.assign(attempt, await measured(parent).catch(() => ({})));
    await removeCgroup(parent);
  }
  return attempt;
}

function retryOf(template: Json, where: string): { limit: number; policy: string; backoffMs: number; factor: number; maxMs: number } {
  if (template.retryStrategy === undefined) return { limit: 0, policy: 'Always', backoffMs: 0, factor: 1, maxMs: Infinity };
  const strategy = fields(template.retryStrategy, `${where}.retryStrategy`, ['limit', 'retryPolicy', 'backoff']);
  const backoff = fields(strategy.backoff ?? {}, `${where}.retryStrategy.backoff`, ['duration', 'factor', 'maxDuration']);
  const policy = String(strategy.retryPolicy ?? 'OnFailure');
  if (!['Always', 'OnFailure', 'OnError'].includes(policy)) throw new UnmappedFieldError(`${where}: retryPolicy ${policy} is not mapped`);
  return {
    limit: Number(strategy.limit ?? 0),
    policy,
    backoffMs: backoff.duration !== undefined ? durationMs(String(backoff.duration)) : 0,
    factor: Number(backoff.factor ?? 1),
    maxMs: backoff.maxDuration !== undefined ? durationMs(String(backoff.maxDuration)) : Infinity,
  };
}

// Docker's own failures (it could not create or start the container) exit 125: that is Argo's "error", not "failure".
const DOCKER_ERROR = 125;

async function runTask(spec: Json, template: Json, parameters: Record<string, string>, task: TaskRun, options: ExecutorOptions): Promise<void> {
  const where = `template ${task.template}`;
  const inputs = fields(template.inputs ?? {}, `${where}.inputs`, ['parameters']);
  const known: Record<string, string> = {};
  for (const [i, item] of list(inputs.parameters, `${where}.inputs.parameters`).entries()) {
    const parameter = fields(item, `${where}.inputs.parameters[${i}]`, ['name', 'value']);
    const name = text(parameter.name, 'parameter name');
    const value = parameters[name] ?? (parameter.value !== undefined ? String(parameter.value) : undefined);
    if (value === undefined) throw new Error(`${task.name}: input parameter ${name} has no value`);
    known[`inputs.parameters.${name}`] = value;
  }
  const container = substituteDeep(fields(template.container, `${where}.container`, ['image', 'command', 'args', 'env', 'resources', 'securityContext', 'volumeMounts']), `${where}.container`, known) as Json;
  const retry = retryOf(template, where);
  const first = Date.now();
  for (let attempt = 0; ; attempt++) {
    const mapped = await mapPod(spec, template, container, `${where}.container`, options);
    let result: Attempt;
    try {
      result = await runAttempt(mapped, task.name, options);
    } finally {
      await mapped.cleanup();
    }
    task.attempts.push(result);
    options.log?.(`${task.name}: attempt ${attempt + 1} exited ${result.exitCode} after ${result.seconds.toFixed(1)}s`);
    if (result.exitCode === 0) {
      task.status = 'Succeeded';
      task.result = result.stdout.replace(/\n+$/, '');
      return;
    }
    const retryable = retry.policy === 'Always' || (retry.policy === 'OnFailure' ? result.exitCode !== DOCKER_ERROR : result.exitCode === DOCKER_ERROR);
    const wait = retry.backoffMs * retry.factor ** attempt;
    if (!retryable || attempt >= retry.limit || Date.now() - first + wait > retry.maxMs) {
      task.status = 'Failed';
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** runWorkflow runs a Workflow or WorkflowTemplate (YAML as emitted) and reports every task. */
export async function runWorkflow(yamlText: string, options: ExecutorOptions = {}): Promise<WorkflowRun> {
  const document = fields(parse(yamlText), 'workflow', ['apiVersion', 'kind', 'metadata', 'spec']);
  if (document.apiVersion !== 'argoproj.io/v1alpha1' || !['Workflow', 'WorkflowTemplate'].includes(String(document.kind))) {
    throw new UnmappedFieldError(`${String(document.apiVersion)} ${String(document.kind)} is not an Argo Workflow`);
  }
  fields(document.metadata, 'metadata', ['name', 'generateName', 'labels', 'annotations']);
  const spec = fields(document.spec, 'spec', ['entrypoint', 'parallelism', 'securityContext', 'volumes', 'templates']);
  const templates = new Map(list(spec.templates, 'spec.templates').map((item, i) => {
    const template = fields(item, `spec.templates[${i}]`, ['name', 'inputs', 'retryStrategy', 'container', 'dag']);
    return [text(template.name, `spec.templates[${i}].name`), template] as const;
  }));
  const entry = templates.get(text(spec.entrypoint, 'spec.entrypoint'));
  if (!entry?.dag) throw new UnmappedFieldError('spec.entrypoint: only a dag template is mapped as the entrypoint');
  const dag = fields(entry.dag, 'dag', ['tasks']);
  const tasks = list(dag.tasks, 'dag.tasks').map((item, i) => fields(item, `dag.tasks[${i}]`, ['name', 'template', 'arguments', 'dependencies']));
  const runs = new Map<string, TaskRun>();
  for (const task of tasks) {
    const name = text(task.name, 'task name');
    if (runs.has(name)) throw new Error(`dag: task ${name} twice`);
    const template = templates.get(text(task.template, `task ${name}.template`));
    if (!template?.container) throw new UnmappedFieldError(`task ${name}: only container templates are mapped as tasks`);
    runs.set(name, { name, template: String(task.template), status: 'Omitted', attempts: [] });
  }
  const dependenciesOf = (task: Json) => list(task.dependencies, `task ${String(task.name)}.dependencies`).map((dep) => {
    if (!runs.has(String(dep))) throw new Error(`task ${String(task.name)} depends on unknown task ${String(dep)}`);
    return String(dep);
  });
  const capacity = spec.parallelism !== undefined ? Number(spec.parallelism) : options.capacity ?? 2;
  const settled = new Set<string>();
  const running = new Map<string, Promise<void>>();
  const pending = [...tasks];
  while (pending.length || running.size) {
    // Start every task whose dependencies all settled, up to the capacity; omit those with a dependency that did not succeed.
    for (const task of [...pending]) {
      const name = String(task.name);
      const dependencies = dependenciesOf(task);
      if (!dependencies.every((dep) => settled.has(dep))) continue;
      pending.splice(pending.indexOf(task), 1);
      const run = runs.get(name)!;
      if (!dependencies.every((dep) => runs.get(dep)!.status === 'Succeeded')) {
        options.log?.(`${name}: omitted (a dependency did not succeed)`);
        settled.add(name);
        await options.onTaskDone?.(run);
        continue;
      }
      if (running.size >= capacity) {
        pending.unshift(task);
        break;
      }
      // Argo resolves a task's arguments when it starts: the results of its (succeeded) dependencies.
      const known = Object.fromEntries(dependencies.map((dep) => [`tasks.${dep}.outputs.result`, runs.get(dep)!.result ?? '']));
      const argumentsOf = fields(task.arguments ?? {}, `task ${name}.arguments`, ['parameters']);
      const parameters = Object.fromEntries(list(argumentsOf.parameters, `task ${name}.arguments.parameters`).map((item, i) => {
        const parameter = fields(item, `task ${name}.arguments.parameters[${i}]`, ['name', 'value']);
        return [text(parameter.name, 'parameter name'), substitute(String(parameter.value ?? ''), `task ${name}.arguments`, known)];
      }));
      running.set(name, runTask(spec, templates.get(run.template)!, parameters, run, options).then(async () => {
        // Observed before it counts as settled, so no dependent starts while the hook looks at the registry.
        await options.onTaskDone?.(run);
        settled.add(name);
        running.delete(name);
      }, (error: unknown) => {
        settled.add(name);
        running.delete(name);
        throw error;
      }));
    }
    if (running.size) await Promise.race(running.values());
    else if (pending.length && !pending.some((task) => dependenciesOf(task).every((dep) => settled.has(dep)))) throw new Error('dag: a dependency cycle');
  }
  const all = [...runs.values()];
  return { phase: all.every((run) => run.status === 'Succeeded') ? 'Succeeded' : 'Failed', tasks: all };
}
