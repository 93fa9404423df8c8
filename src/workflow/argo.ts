// An Argo Workflow (or WorkflowTemplate) from the model: a DAG of one pod per entry and a tag pod needing them all.
import { stringify } from 'yaml';
import { buildArgs, KILN_UID, POD_PATHS, type PodResources, type WorkflowModel } from './model.js';

/** ARGO_API_VERSION is the Workflow resource's group and version (the vendored schema is Argo v3.6's). */
export const ARGO_API_VERSION = 'argoproj.io/v1alpha1';

/** ArgoOptions: `template` emits a WorkflowTemplate, to `argo submit --from workflowtemplate/NAME`. */
export interface ArgoOptions {
  template?: boolean;
  /** name is the WorkflowTemplate's name, or the Workflow's generateName prefix. */
  name?: string;
}

type Json = Record<string, unknown>;

// The tag pod reads manifests and writes tags, no layers pass through it: measured 1.5 CPU-seconds, 129 MiB peak.
const TAG_RESOURCES: PodResources = { cpu: '100m', memory: '256Mi', cpuLimit: '1', memoryLimit: '512Mi' };

// Restricted Pod Security Standard: what every kiln pod runs with. A fresh object each time, so YAML has no anchors.
function podSecurityContext(): Json {
  return { runAsNonRoot: true, runAsUser: KILN_UID, runAsGroup: KILN_UID, seccompProfile: { type: 'RuntimeDefault' } };
}

function containerSecurityContext(): Json {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: KILN_UID,
    runAsGroup: KILN_UID,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

function container(model: WorkflowModel, args: string[], resources = model.resources): Json {
  return {
    image: model.image,
    args,
    env: [
      // kiln reads credentials from $DOCKER_CONFIG/config.json, and keeps every download and layer in the cache dir.
      { name: 'DOCKER_CONFIG', value: POD_PATHS.registryAuth },
      { name: 'KILN_CACHE_DIR', value: POD_PATHS.cache },
      { name: 'TMPDIR', value: POD_PATHS.tmp },
    ],
    resources: {
      requests: { cpu: resources.cpu, memory: resources.memory },
      limits: { cpu: resources.cpuLimit, memory: resources.memoryLimit },
    },
    securityContext: containerSecurityContext(),
    volumeMounts: [
      { name: 'registry-auth', mountPath: POD_PATHS.registryAuth, readOnly: true },
      { name: 'cache', mountPath: POD_PATHS.cache },
      { name: 'tmp', mountPath: POD_PATHS.tmp },
    ],
  };
}

/** argoWorkflow is the Workflow (or WorkflowTemplate) resource for the model, as plain data. */
export function argoWorkflow(model: WorkflowModel, options: ArgoOptions = {}): Json {
  const name = options.name ?? 'kiln-build';
  const results = model.tasks.map((task) => `{{tasks.${task.id}.outputs.result}}`).join('\n');
  const spec: Json = {
    entrypoint: 'main',
    ...(model.parallelism !== undefined ? { parallelism: model.parallelism } : {}),
    securityContext: podSecurityContext(),
    volumes: [
      // The Secret's .dockerconfigjson key becomes config.json in the directory DOCKER_CONFIG names.
      { name: 'registry-auth', secret: { secretName: model.secret ?? 'kiln-registry', items: [{ key: '.dockerconfigjson', path: 'config.json' }] } },
      { name: 'cache', emptyDir: {} },
      { name: 'tmp', emptyDir: {} },
    ],
    templates: [
      {
        name: 'main',
        dag: {
          tasks: [
            ...model.tasks.map((task) => ({
              name: task.id,
              template: 'build',
              arguments: { parameters: [{ name: 'entry', value: task.entry }] },
            })),
            {
              // Runs only when every build task succeeded (a DAG's default); `kiln tag` checks every digest again.
              name: 'tag',
              template: 'tag',
              dependencies: model.tasks.map((task) => task.id),
              arguments: { parameters: [{ name: 'built', value: results }] },
            },
          ],
        },
      },
      {
        name: 'build',
        inputs: { parameters: [{ name: 'entry' }] },
        // Always: a registry hiccup fails kiln with exit 1 just as a node losing the pod does.
        retryStrategy: {
          limit: String(model.retry.limit),
          retryPolicy: 'Always',
          backoff: { duration: model.retry.backoff, factor: '2' },
        },
        container: container(model, buildArgs(model.context, '{{inputs.parameters.entry}}')),
      },
      {
        name: 'tag',
        inputs: { parameters: [{ name: 'built' }] },
        retryStrategy: {
          limit: String(model.retry.limit),
          retryPolicy: 'Always',
          backoff: { duration: model.retry.backoff, factor: '2' },
        },
        container: container(model, [...model.tagArgs, '--built', '{{inputs.parameters.built}}'], TAG_RESOURCES),
      },
    ],
  };
  return {
    apiVersion: ARGO_API_VERSION,
    kind: options.template ? 'WorkflowTemplate' : 'Workflow',
    metadata: {
      ...(options.template ? { name } : { generateName: `${name}-` }),
      labels: { 'app.kubernetes.io/managed-by': 'kiln' },
    },
    spec,
  };
}

/** argoYaml renders the resource; the same model always gives the same bytes. */
export function argoYaml(model: WorkflowModel, options: ArgoOptions = {}): string {
  return stringify(argoWorkflow(model, options), { lineWidth: 0, aliasDuplicateObjects: false });
}
