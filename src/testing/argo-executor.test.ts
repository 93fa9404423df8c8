import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { BlobStore } from '../cache/blob-store.js';
import { withRuntimeConfig } from '../oci/mutate.js';
import { pushImage } from '../registry/index.js';
import { argoYaml, workflowModel, type WorkflowModel } from '../workflow/index.js';
import { requireTool } from './docker.js';
import { testImagePlan } from './plans.js';
import { busyboxImage, withAppLayer } from './registry-images.js';
import { startRegistry, type TestRegistry } from './registry.js';
import { durationMs, quantityBytes, quantityCpus, runWorkflow, UnmappedFieldError, type TaskRun } from './argo-executor.js';

// A stand-in for kiln's image: it checks from inside the container that the pod spec was mapped (user, read-only root,
// no capabilities, no_new_privs, writable cache and /tmp, read-only credentials), then answers like kiln would.
const STAND_IN = `set -e
fail() { echo "stand-in: $*" >&2; exit 3; }
[ "$(id -u):$(id -g)" = "65532:65532" ] || fail "runs as $(id -u):$(id -g)"
if touch /rootfs-probe 2>/dev/null; then fail "the root filesystem is writable"; fi
touch "$KILN_CACHE_DIR/probe" "$TMPDIR/probe" || fail "cache or tmp not writable"
grep -q '"auths"' "$DOCKER_CONFIG/config.json" || fail "no registry credentials"
if touch "$DOCKER_CONFIG/probe" 2>/dev/null; then fail "the credentials are writable"; fi
grep -q '^CapEff:.0000000000000000$' /proc/self/status || fail "capabilities left: $(grep CapEff /proc/self/status)"
grep -q '^NoNewPrivs:.1$' /proc/self/status || fail "no_new_privs unset"
case "$1" in
  build)
    case "$5" in *broken*) echo "kiln: $5: cannot build" >&2; exit 1;; esac
    echo "$5@sha256:$(printf %s "$5" | sha256sum | cut -d' ' -f1)";;
  tag) shift; echo "tag $*";;
  *) fail "unexpected command $1";;
esac
`;

let registry: TestRegistry;
let work: string;
let image: string;

before(async () => {
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'kiln-argo-executor-'));
  const store = new BlobStore(join(work, 'cache'));
  const standIn = await withRuntimeConfig(await withAppLayer(store, await busyboxImage(store), { 'stand-in.sh': STAND_IN }), { Entrypoint: ['/bin/sh', '/stand-in.sh'], Cmd: [] });
  const [pushed] = await pushImage(standIn, [`${registry.host}/standin/kiln:1`], { store, insecure: [registry.host] });
  image = `${registry.host}/standin/kiln@${pushed!.digest}`;
});
after(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

const SECRETS = { 'kiln-registry': { '.dockerconfigjson': '{"auths":{}}' } };

function model(names: string[]): WorkflowModel {
  const entries = names.map((name) => testImagePlan({ name, publish: true }));
  return workflowModel({ manifestFile: '/p/kiln.yaml', images: entries, notices: [] }, {
    context: `${registry.host}/ctx@sha256:${'c'.repeat(64)}`, image, retry: { limit: 1, backoff: '1s' },
    resources: { cpu: '250m', memory: '64Mi', memoryLimit: '256Mi', cpuLimit: '1' },
  });
}

test('quantities and durations read as Kubernetes and Go write them', () => {
  assert.equal(quantityBytes('512Mi'), 512 * 2 ** 20);
  assert.equal(quantityBytes('1G'), 1e9);
  assert.equal(quantityCpus('500m'), 0.5);
  assert.equal(quantityCpus('2'), 2);
  assert.equal(durationMs('30s'), 30_000);
  assert.throws(() => quantityBytes('lots'), UnmappedFieldError);
});

test('the emitted Workflow runs as written: builds first, the tag task last with every result, inside the restricted pod', async (t) => {
  if (!(await requireTool(t, 'docker'))) return;
  const order: string[] = [];
  const run = await runWorkflow(argoYaml(model(['hello/a', 'hello/b'])), { secrets: SECRETS, measure: true, onTaskDone: (task) => void order.push(`${task.name}:${task.status}`) });
  const failures = run.tasks.flatMap((task) => task.attempts.filter((a) => a.exitCode !== 0).map((a) => `${task.name}: ${a.stderr}`));
  assert.deepEqual(failures, []);
  assert.equal(run.phase, 'Succeeded');
  assert.deepEqual(order.slice(-1), ['tag:Succeeded']);
  assert.deepEqual(order.slice(0, 2).sort(), [`${run.tasks[0]!.name}:Succeeded`, `${run.tasks[1]!.name}:Succeeded`]);
  const digestOf = (name: string) => run.tasks.find((task) => task.result?.startsWith(`${name}@`))?.result;
  const tag = run.tasks.find((task) => task.name === 'tag')!;
  assert.equal(tag.result, `tag --context ${registry.host}/ctx@sha256:${'c'.repeat(64)} --built ${digestOf('hello/a')}\n${digestOf('hello/b')}`);
  if (existsSync('/sys/fs/cgroup/cpuacct/cpuacct.usage')) {
    // cgroup v1 (this machine): each attempt's own cgroup totals, read after the container exited.
    const attempt = run.tasks[0]!.attempts[0]!;
    assert.ok(attempt.cpuSeconds! > 0 && attempt.cpuSeconds! < 5, `cpu ${attempt.cpuSeconds}`);
    assert.ok(attempt.peakMemoryBytes! > 0 && attempt.peakMemoryBytes! < 256 * 2 ** 20, `memory ${attempt.peakMemoryBytes}`);
  }
  const docker = run.tasks[0]!.attempts[0]!.dockerArgs.join(' ');
  for (const flag of ['--user 65532:65532', '--read-only', '--cap-drop ALL', '--security-opt no-new-privileges', '--tmpfs /kiln/cache:', '--tmpfs /tmp:', `--memory ${256 * 2 ** 20}`, '--cpus 1', '--network host']) {
    assert.ok(docker.includes(flag), `${flag} in: ${docker}`);
  }
});

test('one broken entry: it is retried as retryStrategy says, then fails, and the tag task never runs', async (t) => {
  if (!(await requireTool(t, 'docker'))) return;
  const done: TaskRun[] = [];
  const run = await runWorkflow(argoYaml(model(['hello/a', 'broken/b'])), { secrets: SECRETS, onTaskDone: (task) => void done.push(task) });
  assert.equal(run.phase, 'Failed');
  const broken = run.tasks.find((task) => task.attempts.some((a) => a.stderr.includes('broken/b')))!;
  assert.equal(broken.status, 'Failed');
  assert.equal(broken.attempts.length, 2, 'limit 1: one retry');
  assert.ok(broken.attempts.every((attempt) => attempt.exitCode === 1));
  const tag = run.tasks.find((task) => task.name === 'tag')!;
  assert.equal(tag.status, 'Omitted');
  assert.deepEqual(tag.attempts, []);
  assert.equal(done.at(-1)!.name, 'tag');
});

test('a field the executor does not map, or a missing Secret, fails loudly', async (t) => {
  if (!(await requireTool(t, 'docker'))) return;
  const document = parse(argoYaml(model(['hello/a']))) as { spec: Record<string, unknown> & { templates: Array<{ container?: Record<string, unknown> }> } };
  await assert.rejects(runWorkflow(stringify({ ...document, spec: { ...document.spec, hostNetwork: true } })), /spec\.hostNetwork: not mapped/);
  const privileged = structuredClone(document);
  (privileged.spec.templates[1]!.container!.securityContext as Record<string, unknown>).privileged = true;
  await assert.rejects(runWorkflow(stringify(privileged), { secrets: SECRETS }), /securityContext\.privileged: not mapped/);
  const unknownVariable = structuredClone(document);
  (unknownVariable.spec.templates[1]!.container!.args as string[]).push('{{workflow.name}}');
  await assert.rejects(runWorkflow(stringify(unknownVariable), { secrets: SECRETS }), /\{\{workflow\.name\}\} is not a variable/);
  await assert.rejects(runWorkflow(stringify(document), { secrets: {} }), /secret "kiln-registry" not found/);
});
