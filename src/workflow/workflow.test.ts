import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { UsageError } from '../errors.js';
import type { BuildPlan, ImagePlan } from '../plan/index.js';
import { testImagePlan } from '../testing/plans.js';
import { argoSchemaErrors, githubSchemaErrors } from '../testing/workflow-schemas.js';
import { argoWorkflow, argoYaml, githubYaml, taskId, workflowModel, type WorkflowModel } from './index.js';

const CONTEXT = `registry.example/ctx@sha256:${'c'.repeat(64)}`;
const IMAGE = `registry.example/kiln@sha256:${'d'.repeat(64)}`;

function entry(name: string, overrides: Partial<ImagePlan> = {}): ImagePlan {
  return testImagePlan({
    name, publish: true, tags: ['v1'],
    destinations: [{ registry: 'r', repository: 'registry.example/apps/x', references: ['docker://registry.example/apps/x:v1'], insecure: false }],
    ...overrides,
  });
}

function plan(...images: ImagePlan[]): BuildPlan {
  return { manifestFile: '/p/kiln.yaml', images, notices: [] };
}

function model(): WorkflowModel {
  return workflowModel(plan(entry('server/3.11-cpu'), entry('server/3.11-gpu'), entry('solo')), { context: CONTEXT, image: IMAGE });
}

type Doc = { spec: { templates: Array<{ name: string; dag?: { tasks: Array<{ name: string; dependencies?: string[]; arguments: { parameters: Array<{ value: string }> } }> }; container?: { args: string[]; securityContext: Record<string, unknown> } }> } };

test('taskId folds an entry name to what Argo and Actions accept, keeping names that fold together apart', () => {
  assert.equal(taskId('solo'), 'solo');
  assert.match(taskId('server/3.11-cpu'), /^server-3-11-cpu-[0-9a-f]{6}$/);
  assert.notEqual(taskId('a.b'), taskId('a/b'));
  assert.ok(taskId('x'.repeat(90)).length <= 57);
});

test('the model refuses a context not pinned by digest, no kiln image, and entries that publish nowhere', () => {
  assert.throws(() => workflowModel(plan(entry('a')), { context: 'registry.example/ctx:latest', image: IMAGE }), /REF@sha256/);
  assert.throws(() => workflowModel(plan(entry('a')), { context: CONTEXT, image: '' }), /--image is required/);
  assert.throws(() => workflowModel(plan(entry('a'), entry('local', { publish: false })), { context: CONTEXT, image: IMAGE }), UsageError);
  assert.throws(() => workflowModel(plan(entry('a')), { context: CONTEXT, image: IMAGE, retry: { backoff: 'soon' } }), /--backoff/);
  assert.throws(() => workflowModel(plan(entry('a')), { context: CONTEXT, image: IMAGE, resources: { memoryLimit: '256Mi' } }), /--memory 512Mi is more than --memory-limit 256Mi/);
});

test('the Argo Workflow and WorkflowTemplate validate against Argo v3.6.19\'s schema, and a misspelt field would not', () => {
  for (const template of [false, true]) {
    const document = parse(argoYaml(model(), { template })) as unknown;
    assert.deepEqual(argoSchemaErrors(document), [], `template: ${template}`);
  }
  const broken = argoWorkflow(model()) as unknown as Doc;
  (broken.spec.templates[1]!.container!.securityContext as Record<string, unknown>).readOnlyRootFilesytem = true;
  assert.deepEqual(argoSchemaErrors(JSON.parse(JSON.stringify(broken))), ['/spec/templates/1/container/securityContext: must NOT have additional properties (readOnlyRootFilesytem)']);
});

test('the DAG: one build task per entry pushing by digest, and a tag task needing all of them and given their results', () => {
  const document = parse(argoYaml(model())) as Doc;
  const tasks = document.spec.templates.find((t) => t.name === 'main')!.dag!.tasks;
  const builds = tasks.filter((task) => task.name !== 'tag');
  assert.deepEqual(builds.map((task) => task.arguments.parameters[0]!.value), ['server/3.11-cpu', 'server/3.11-gpu', 'solo']);
  const tag = tasks.find((task) => task.name === 'tag')!;
  assert.deepEqual(tag.dependencies, builds.map((task) => task.name));
  assert.equal(tag.arguments.parameters[0]!.value, builds.map((task) => `{{tasks.${task.name}.outputs.result}}`).join('\n'));
  const build = document.spec.templates.find((t) => t.name === 'build')!.container!;
  assert.deepEqual(build.args, ['build', '--context', CONTEXT, '--only', '{{inputs.parameters.entry}}', '--push-by-digest']);
  assert.deepEqual(build.securityContext, {
    allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true,
    runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' },
  });
  assert.deepEqual(document.spec.templates.find((t) => t.name === 'tag')!.container!.args, ['tag', '--context', CONTEXT, '--built', '{{inputs.parameters.built}}']);
});

test('the same plan gives the same bytes, with no YAML anchors', () => {
  const text = argoYaml(model());
  assert.equal(argoYaml(model()), text);
  assert.doesNotMatch(text, /[&*]a\d/);
  assert.equal(githubYaml(model()), githubYaml(model()));
});

test('the GitHub workflow validates against SchemaStore\'s schema: a matrix job per entry, a tag job needing it', () => {
  const text = githubYaml(model());
  const document = parse(text) as { jobs: { build: { strategy: { matrix: { entry: string[] } } }; tag: { needs: string; steps: Array<{ run?: string }> } } };
  assert.deepEqual(githubSchemaErrors(document), []);
  assert.deepEqual(document.jobs.build.strategy.matrix.entry, ['server/3.11-cpu', 'server/3.11-gpu', 'solo']);
  assert.equal(document.jobs.tag.needs, 'build');
  assert.match(text, /--user 65532:65532 --read-only --cap-drop ALL --security-opt no-new-privileges/);
  assert.match(text, new RegExp(`--memory ${2 * 2 ** 30} --cpus 2`));
  const halfCpu = githubYaml(workflowModel(plan(entry('a')), { context: CONTEXT, image: IMAGE, resources: { cpu: '250m', cpuLimit: '500m' } }));
  assert.match(halfCpu, /--cpus 0\.5 /);
  assert.match(text, /--only "\$ENTRY" --push-by-digest > built\.txt/);
  assert.doesNotMatch(text, /\$\{\{ matrix\.entry \}\} /, 'the entry reaches the script through the environment only');
  assert.match(document.jobs.tag.steps.at(-1)!.run!, /tag --context registry\.example\/ctx@sha256:c{64} "\$@"/);
  assert.notDeepEqual(githubSchemaErrors({ ...document, jobs: { build: { 'runs-on': 'ubuntu-latest', stepz: [] } } }), []);
});
