// Issue 14, proof without a cluster: the Argo Workflow `kiln workflow argo` emits, run as written by the Docker test
// executor with kiln's own image (built by `kiln self-image`) against a real registry. Every build pod pushes its entry
// by digest and writes no tag; the tag task writes every tag, naming the digests a local `kiln build` gives; with one
// entry that cannot build, no tag appears for any entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runWorkflow, type TaskRun, type WorkflowRun } from '../../src/testing/argo-executor.js';
import { runKiln } from '../../src/testing/cli.js';
import { requireTool } from '../../src/testing/docker.js';
import { tempDir, tempStore, imageWithLayers } from '../../src/testing/images.js';
import { loadKilnImage, runProcess } from '../../src/testing/kiln-image.js';
import { sharedCacheDir } from '../../src/testing/shared-cache.js';
import { startRegistry, type TestRegistry } from '../../src/testing/registry.js';
import { writeImage } from '../../src/places/index.js';

const KILN_IMAGE = 'kiln-test/kiln:workflow-e2e';
const ENTRIES = ['alpha', 'beta'];
const TAGS = ['v1', 'stable'];
const MANIFEST_ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
// The pod reads credentials from the Secret; the test registry wants none, but the Secret must exist for the pod to start.
const SECRETS = { 'kiln-registry': { '.dockerconfigjson': '{"auths":{}}' } };

interface BuildJson {
  images: Array<{ name: string; digest: string; layers: Array<{ diffId: string }> }>;
}

interface Project {
  dir: string;
  repository: string;
}

// A few scratch+app entries with their own tags, published to repository; `broken` adds one built on a registry base.
async function writeProject(dir: string, repository: string, broken?: string): Promise<Project> {
  const lines = ['images:'];
  for (const name of ENTRIES) {
    await mkdir(join(dir, name), { recursive: true });
    await writeFile(join(dir, name, 'index.txt'), `entry ${name}\n`);
    lines.push(`  ${name}:`, '    base: scratch', `    app: {src: ${name}, dest: /srv}`, '    entrypoint: [/srv/index.txt]', `    tags: [${TAGS.join(', ')}]`);
  }
  if (broken) {
    await mkdir(join(dir, 'broken'), { recursive: true });
    await writeFile(join(dir, 'broken/index.txt'), 'never built\n');
    lines.push('  broken:', `    base: docker://${broken}`, '    app: {src: broken, dest: /srv}', '    entrypoint: [/srv/index.txt]', `    tags: [${TAGS.join(', ')}]`);
  }
  lines.push(`registries: {local: {repository: "${repository}", insecure: true}}`, '');
  await writeFile(join(dir, 'kiln.yaml'), lines.join('\n'));
  return { dir, repository };
}

async function tagsOf(registry: TestRegistry, repository: string): Promise<string[]> {
  const response = await fetch(`http://${registry.host}/v2/${repository}/tags/list`);
  if (response.status === 404) return [];
  assert.equal(response.status, 200);
  // The SBOM's referrers fallback tag (sha256-...) names no image of the entry; every other tag does.
  return ((await response.json() as { tags: string[] | null }).tags ?? []).filter((tag) => !tag.startsWith('sha256-'));
}

async function manifestDigest(registry: TestRegistry, repository: string, reference: string): Promise<string | undefined> {
  const response = await fetch(`http://${registry.host}/v2/${repository}/manifests/${reference}`, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } });
  return response.status === 200 ? response.headers.get('docker-content-digest') ?? undefined : undefined;
}

// lock, push the context, emit the Workflow for it: the steps a user takes before `argo submit`.
async function emitWorkflow(project: Project, registry: TestRegistry, env: NodeJS.ProcessEnv): Promise<{ workflow: string; context: string }> {
  const locked = await runKiln(['lock', project.dir], { env });
  assert.equal(locked.code, 0, locked.stderr);
  const pushed = await runKiln(['context', 'push', project.dir, `${registry.host}/contexts/${project.repository.split('/').at(-1)}`], { env });
  assert.equal(pushed.code, 0, pushed.stderr);
  const context = pushed.stdout.trim();
  assert.match(context, /@sha256:[0-9a-f]{64}$/);
  const emitted = await runKiln(['workflow', 'argo', project.dir, '--context', context, '--image', KILN_IMAGE, '--retries', '0'], { env });
  assert.equal(emitted.code, 0, emitted.stderr);
  return { workflow: emitted.stdout, context };
}

function failures(run: WorkflowRun): string[] {
  return run.tasks.flatMap((task) => task.attempts.filter((attempt) => attempt.exitCode !== 0).map((attempt) => `${task.name}: ${attempt.stderr.trim().split('\n').at(-1)}`));
}

test('the emitted Argo Workflow runs as written with kiln\'s image: pushes by digest, then tags all; one broken entry, no tag', { timeout: 1_800_000 }, async (t) => {
  if (!(await requireTool(t, 'docker'))) return;
  const work = await tempDir();
  const registry = await startRegistry();
  const baseRegistry = await startRegistry();
  let image: Awaited<ReturnType<typeof loadKilnImage>> | undefined;
  try {
    image = await loadKilnImage(work, KILN_IMAGE);
    t.diagnostic(`kiln image: ${image.seconds.toFixed(1)} s to build (cache ${sharedCacheDir()}), ${image.digest}`);
    const env = { KILN_CACHE_DIR: join(work, 'cache') };

    // Run 1: every entry builds in its own pod and pushes by digest; the tag task writes every tag.
    const good = await writeProject(join(work, 'good'), `${registry.host}/apps`);
    // Built locally by the same kiln (its image, as the pod's user): gzip bytes follow the zlib Node links, and
    // Debian's node links the system zlib while a host's node may bundle its own, so a host build differs in them.
    await runProcess('chmod', ['-R', 'a+rX', work]);
    const local = await runProcess('docker', ['run', '--rm', '--user', '65532:65532', '--read-only', '--tmpfs', '/tmp', '-v', `${good.dir}:/work:ro`, KILN_IMAGE,
      'build', '/work', '-o', 'oci:/tmp/out:{name}', '--json']);
    assert.equal(local.code, 0, local.stderr);
    const inImage = (JSON.parse(local.stdout) as BuildJson).images;
    const localDigests = Object.fromEntries(inImage.map((built) => [built.name, built.digest]));
    assert.deepEqual(Object.keys(localDigests).sort(), ENTRIES);
    // A host build holds the same files: the layers' uncompressed digests agree.
    const host = await runKiln(['build', good.dir, '-o', `oci:${work}/host:{name}`, '--json'], { env });
    assert.equal(host.code, 0, host.stderr);
    const diffIds = (images: BuildJson['images']) => Object.fromEntries(images.map((built) => [built.name, built.layers.map((layer) => layer.diffId)]));
    assert.deepEqual(diffIds((JSON.parse(host.stdout) as BuildJson).images), diffIds(inImage));
    const { workflow } = await emitWorkflow(good, registry, env);

    const seen: string[] = [];
    const observe = async (task: TaskRun): Promise<void> => {
      seen.push(`${task.name}:${task.status}`);
      if (task.template !== 'build' || task.status !== 'Succeeded') return;
      // The pod prints ENTRY@DIGEST: that manifest is in the registry, and no entry has a tag yet.
      const [entry, digest] = task.result!.split('@') as [string, string];
      assert.equal(digest, localDigests[entry], `${entry}: the pod built the local digest`);
      assert.equal(await manifestDigest(registry, `apps/${entry}`, digest), digest, `${entry}: pushed by digest`);
      for (const name of ENTRIES) assert.deepEqual(await tagsOf(registry, `apps/${name}`), [], `${name}: no tag before the tag task`);
    };
    const started = performance.now();
    const run = await runWorkflow(workflow, { secrets: SECRETS, measure: true, onTaskDone: observe });
    t.diagnostic(`run 1: ${((performance.now() - started) / 1000).toFixed(1)} s for ${run.tasks.length} tasks`);
    assert.deepEqual(failures(run), []);
    assert.equal(run.phase, 'Succeeded');
    assert.equal(seen.at(-1), 'tag:Succeeded');
    assert.equal(seen.length, ENTRIES.length + 1);
    for (const name of ENTRIES) {
      assert.deepEqual((await tagsOf(registry, `apps/${name}`)).sort(), [...TAGS].sort(), `${name}: every tag`);
      for (const tag of TAGS) assert.equal(await manifestDigest(registry, `apps/${name}`, tag), localDigests[name], `${name}:${tag} names the local digest`);
    }
    for (const task of run.tasks) {
      const attempt = task.attempts[0]!;
      const measured = attempt.cpuSeconds !== undefined
        ? `${attempt.cpuSeconds.toFixed(2)} s CPU, ${(attempt.peakMemoryBytes! / 2 ** 20).toFixed(0)} MiB peak memory`
        : 'not measured (needs cgroup v1 and root)';
      t.diagnostic(`  ${task.name} (${task.template}): ${attempt.seconds.toFixed(1)} s wall, ${measured}`);
    }

    // Run 2: the same entries to another repository, plus one whose base registry is gone by the time its pod runs.
    const store = await tempStore();
    await writeImage(`docker://${baseRegistry.host}/base/tiny:1`, await imageWithLayers(store, { 'etc/os-release': 'ID=tiny\n' }), { store });
    const mixed = await writeProject(join(work, 'mixed'), `${registry.host}/mixed`, `${baseRegistry.host}/base/tiny:1`);
    const second = await emitWorkflow(mixed, registry, env);
    await baseRegistry.stop();
    const brokenStarted = performance.now();
    const broken = await runWorkflow(second.workflow, { secrets: SECRETS, onTaskDone: (task) => void seen.push(`${task.name}:${task.status}`) });
    t.diagnostic(`run 2: ${((performance.now() - brokenStarted) / 1000).toFixed(1)} s for ${broken.tasks.length} tasks`);
    assert.equal(broken.phase, 'Failed');
    const failed = broken.tasks.filter((task) => task.status === 'Failed');
    assert.equal(failed.length, 1, failures(broken).join('\n'));
    assert.equal(failed[0]!.attempts.length, 1, '--retries 0: one attempt');
    assert.match(failed[0]!.attempts[0]!.stderr, /^kiln: /m, 'kiln failed in one line');
    t.diagnostic(`broken entry: ${failed[0]!.attempts[0]!.stderr.trim().split('\n').at(-1)}`);
    const tag = broken.tasks.find((task) => task.name === 'tag')!;
    assert.equal(tag.status, 'Omitted');
    assert.deepEqual(tag.attempts, []);
    for (const name of [...ENTRIES, 'broken']) assert.deepEqual(await tagsOf(registry, `mixed/${name}`), [], `${name}: no tag when an entry failed`);
    // The good entries did build and push by digest: only their tags wait on the broken one.
    for (const task of broken.tasks.filter((task) => task.template === 'build' && task.status === 'Succeeded')) {
      const [entry, digest] = task.result!.split('@') as [string, string];
      assert.equal(digest, localDigests[entry], `${entry}: the same digest in another repository`);
      assert.equal(await manifestDigest(registry, `mixed/${entry}`, digest), digest);
    }
  } finally {
    await image?.remove();
    await registry.stop();
    await baseRegistry.stop().catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
});
