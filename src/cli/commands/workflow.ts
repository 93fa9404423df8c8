// kiln workflow argo|github [DIR] --context REF@sha256:... --image KILN_IMAGE [-o FILE]: one pod or job per entry.
import { resolve } from 'node:path';
import { defineCommand } from '../command.js';
import { UsageError } from '../../errors.js';
import { manifestPath } from './build.js';
import { manifestOptions, onlyOption } from '../options.js';

const TARGETS = ['argo', 'github'] as const;

function whole(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} "${text}" is not a whole number`);
  return value;
}

export const command = defineCommand({
  summary: 'Emit a workflow that builds every entry of kiln.yaml from a pushed context (kiln context push), one Argo pod or GitHub Actions job per entry pushing by digest, then one step writing every tag only if all succeeded. argo: a Workflow (or --template, a WorkflowTemplate) with a restricted security context, registry credentials from a kubernetes.io/dockerconfigjson Secret, retries and resource requests; github: a matrix job and a tag job.',
  usage: 'kiln workflow argo|github [DIR|FILE] [-f kiln.yaml] [--only NAME|GLOB]... --context REF@sha256:DIGEST --image KILN_IMAGE [--template] [--name NAME] [--secret NAME] [--cpu Q] [--memory Q] [--cpu-limit Q] [--memory-limit Q] [--retries N] [--backoff 30s] [--parallelism N] [-o workflow.yaml]',
  arguments: [
    { name: 'TARGET', required: true, choices: TARGETS, description: 'argo or github' },
    { name: 'DIR|FILE', description: 'the folder holding kiln.yaml, or the manifest itself (default .)' },
  ],
  options: {
    ...manifestOptions,
    ...onlyOption,
    context: { type: 'string', value: 'REF@sha256:DIGEST', description: 'the context kiln context push printed (required)' },
    image: { type: 'string', value: 'KILN_IMAGE', description: 'the kiln image each pod or job runs' },
    template: { type: 'boolean', default: false, description: 'argo: a WorkflowTemplate instead of a Workflow' },
    name: { type: 'string', value: 'NAME', description: 'the workflow\'s name' },
    secret: { type: 'string', value: 'NAME', description: 'argo: the kubernetes.io/dockerconfigjson Secret with registry credentials' },
    cpu: { type: 'string', value: 'Q', description: 'CPU request per entry' },
    memory: { type: 'string', value: 'Q', description: 'memory request per entry' },
    'cpu-limit': { type: 'string', value: 'Q', description: 'CPU limit per entry' },
    'memory-limit': { type: 'string', value: 'Q', description: 'memory limit per entry' },
    retries: { type: 'string', value: 'N', description: 'retries per entry' },
    backoff: { type: 'string', value: 'DURATION', description: 'wait before a retry (e.g. 30s)' },
    parallelism: { type: 'string', value: 'N', description: 'entries built at once' },
    output: { type: 'string', short: 'o', value: 'FILE', description: 'write the workflow here instead of stdout' },
  },
  async run(values, positionals, context) {
    const [target, directory] = positionals;
    if (!values.context) throw new UsageError('--context is required: the REF@sha256:DIGEST kiln context push printed');
    if (values.template && target !== 'argo') throw new UsageError('--template is for argo (a WorkflowTemplate)');
    const [{ planBuild }, workflow, { writeFileAtomic }] = await Promise.all([
      import('../../plan/index.js'), import('../../workflow/index.js'), import('../../places/blob-file.js'),
    ]);
    const manifestFile = await manifestPath(directory, context.cwd, values.file);
    const plan = await planBuild({ manifestFile, overrides: context.overrides, cwd: context.cwd, env: context.env, only: values.only, store: context.cache() });
    const resources = Object.fromEntries(Object.entries({
      cpu: values.cpu, memory: values.memory, cpuLimit: values['cpu-limit'], memoryLimit: values['memory-limit'],
    }).filter(([, value]) => value !== undefined));
    const retries = whole(values.retries, '--retries');
    const model = workflow.workflowModel(plan, {
      context: values.context,
      image: values.image ?? '',
      ...(values.only ? { only: values.only } : {}),
      ...(values.secret ? { secret: values.secret } : {}),
      resources,
      retry: { ...(retries !== undefined ? { limit: retries } : {}), ...(values.backoff ? { backoff: values.backoff } : {}) },
      ...(values.parallelism !== undefined ? { parallelism: whole(values.parallelism, '--parallelism') } : {}),
    });
    const text = target === 'argo'
      ? workflow.argoYaml(model, { template: values.template, ...(values.name ? { name: values.name } : {}) })
      : workflow.githubYaml(model, values.name ? { name: values.name } : {});
    if (values.output) await writeFileAtomic(resolve(context.cwd, values.output), text);
    else context.stdout.write(text);
    return 0;
  },
});
