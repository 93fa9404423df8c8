// The kaniko backend: prints the executor command line and a pod spec for the generated context; runs the
// executor only where it exists (inside a kaniko image), since kaniko builds in its own container's root.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ImagePlan } from '../build/plan.js';
import { UsageError } from '../errors.js';
import { parsePlace } from '../places/place.js';
import { dockerfileSyntax, publishArchive, tempArchive } from './daemon-build.js';
import { writeDockerContext } from '../dockerfile/context.js';
import { runTool } from './exec.js';
import type { Backend } from './types.js';

/** KANIKO_EXECUTOR is where the executor lives in gcr.io/kaniko-project/executor. */
export const KANIKO_EXECUTOR = '/kaniko/executor';

/** kanikoArgs is the executor's command line: registry outputs become --destination, a docker-archive --tar-path. */
export function kanikoArgs(plan: ImagePlan, contextDir: string, tarPath?: string): string[] {
  const destinations = plan.outputs.map(parsePlace).filter((place) => place.transport === 'docker').map((place) => place.reference);
  const args = [`--context=dir://${contextDir}`, `--dockerfile=${join(contextDir, 'Dockerfile')}`];
  for (const destination of destinations) args.push(`--destination=${destination}`);
  if (tarPath) {
    if (destinations.length === 0) args.push(`--destination=kiln/${plan.name}:latest`, '--no-push');
    args.push(`--tar-path=${tarPath}`);
  }
  if (destinations.length === 0 && !tarPath) args.push('--no-push');
  args.push('--cache=true', '--snapshot-mode=redo', '--reproducible');
  return args;
}

/** kanikoPodSpec is a pod manifest that runs the executor over the context mounted at the same path. */
export function kanikoPodSpec(plan: ImagePlan, contextDir: string): string {
  const args = kanikoArgs(plan, contextDir);
  return [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    `  name: kiln-kaniko-${plan.name.replace(/[^a-z0-9-]/g, '-')}`,
    'spec:',
    '  restartPolicy: Never',
    '  containers:',
    '    - name: kaniko',
    '      image: gcr.io/kaniko-project/executor:latest',
    '      args:',
    ...args.map((arg) => `        - ${JSON.stringify(arg)}`),
    '      volumeMounts:',
    '        - name: context',
    `          mountPath: ${contextDir}`,
    '  volumes:',
    '    - name: context',
    '      persistentVolumeClaim: {claimName: kiln-context}   # holds the generated folder',
    '',
  ].join('\n');
}

/** kaniko prints the executor command line and pod spec, and runs the executor when it is present. */
export const kaniko: Backend = {
  name: 'kaniko',
  async build(plan, context) {
    if (plan.base.kind === 'place' && !plan.base.place.startsWith('docker://')) {
      throw new UsageError(`${plan.name}: kaniko pulls its base from a registry; push ${plan.base.place} and use docker://`);
    }
    const generated = await writeDockerContext(plan, join(context.generatedDir, plan.name), { manifestDir: dirname(context.manifestFile), syntax: dockerfileSyntax(context.env) });
    const executor = context.env.KILN_KANIKO_EXECUTOR || KANIKO_EXECUTOR;
    const runs = existsSync(executor);
    const archive = runs ? await tempArchive(context, plan.name) : undefined;
    const args = kanikoArgs(plan, generated.dir, archive);
    context.print(`# kaniko executor for ${plan.name}\n${[KANIKO_EXECUTOR, ...kanikoArgs(plan, generated.dir)].join(' \\\n    ')}\n# pod spec\n${kanikoPodSpec(plan, generated.dir)}`);
    if (!runs) {
      // Nothing was built here: the report names the entry only; the pod builds and pushes.
      return {
        report: { name: plan.name, digest: '', size: 0, unpackedSize: 0, layers: [], outputs: [] },
        commandLine: [KANIKO_EXECUTOR, ...kanikoArgs(plan, generated.dir)],
      };
    }
    try {
      await runTool(executor, args, { env: context.env, log: context.log, what: plan.name });
      return { report: await publishArchive(plan, archive!, context), commandLine: [executor, ...args] };
    } finally {
      await rm(archive!, { force: true });
    }
  },
};
