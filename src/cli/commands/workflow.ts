// kiln workflow argo|github [DIR] --context REF@sha256:... --image KILN_IMAGE [-o FILE]: one pod or job per entry.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../../errors.js';
import { manifestPath } from './build.js';

const TARGETS = ['argo', 'github'] as const;

function whole(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} "${text}" is not a whole number`);
  return value;
}

export const command: Command = {
  summary: 'Emit a workflow that builds every entry of kiln.yaml from a pushed context (kiln context push), one Argo pod or GitHub Actions job per entry pushing by digest, then one step writing every tag only if all succeeded. argo: a Workflow (or --template, a WorkflowTemplate) with a restricted security context, registry credentials from a kubernetes.io/dockerconfigjson Secret, retries and resource requests; github: a matrix job and a tag job.',
  usage: 'kiln workflow argo|github [DIR|FILE] [-f kiln.yaml] [--only NAME|GLOB]... --context REF@sha256:DIGEST --image KILN_IMAGE [--template] [--name NAME] [--secret NAME] [--cpu Q] [--memory Q] [--cpu-limit Q] [--memory-limit Q] [--retries N] [--backoff 30s] [--parallelism N] [-o workflow.yaml]',
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        file: { type: 'string', short: 'f' },
        only: { type: 'string', multiple: true },
        context: { type: 'string' },
        image: { type: 'string' },
        template: { type: 'boolean', default: false },
        name: { type: 'string' },
        secret: { type: 'string' },
        cpu: { type: 'string' },
        memory: { type: 'string' },
        'cpu-limit': { type: 'string' },
        'memory-limit': { type: 'string' },
        retries: { type: 'string' },
        backoff: { type: 'string' },
        parallelism: { type: 'string' },
        output: { type: 'string', short: 'o' },
      },
    });
    const [target, directory, ...rest] = positionals;
    if (!target || !(TARGETS as readonly string[]).includes(target)) throw new UsageError(`workflow needs a target: ${TARGETS.join(' or ')}`);
    if (rest.length) throw new UsageError(`workflow takes one directory, got ${rest.length + 1}`);
    if (!values.context) throw new UsageError('--context is required: the REF@sha256:DIGEST kiln context push printed');
    if (values.template && target !== 'argo') throw new UsageError('--template is for argo (a WorkflowTemplate)');
    const [{ planBuild }, workflow, { writeFileAtomic }] = await Promise.all([
      import('../../plan/index.js'), import('../../workflow/index.js'), import('../../places/blob-file.js'),
    ]);
    const manifestFile = await manifestPath(directory, context.cwd, values.file);
    const plan = await planBuild({ manifestFile, cwd: context.cwd, env: context.env, only: values.only, store: context.cache() });
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
};
