// The kaniko backend: prints the executor command line and a pod spec for the generated context; runs the
// executor only where it exists (inside a kaniko image), since kaniko builds in its own container's root,
// and reads the image it wrote with --tar-path back as an Image. Where it cannot run, the build fails.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ImagePlan } from '../build/plan.js';
import { OutputError, UsageError } from '../errors.js';
import { parsePlace } from '../places/place.js';
import { dockerfileSyntax, readArchive, tempArchive } from './daemon-build.js';
import { writeDockerContext } from '../dockerfile/context.js';
import { runTool } from './exec.js';
import type { Backend } from './types.js';

/** KANIKO_EXECUTOR is where the executor lives in gcr.io/kaniko-project/executor. */
export const KANIKO_EXECUTOR = '/kaniko/executor';

/**
 * kanikoArgs is the executor's command line. With `tarPath` (kiln runs the executor) nothing is pushed: the image
 * lands in that tarball and kiln publishes it; without (the printed pod), registry outputs become --destination.
 */
export function kanikoArgs(plan: ImagePlan, contextDir: string, tarPath?: string): string[] {
  const args = [`--context=dir://${contextDir}`, `--dockerfile=${join(contextDir, 'Dockerfile')}`];
  if (tarPath) {
    args.push(`--destination=kiln/${plan.name}:latest`, '--no-push', `--tar-path=${tarPath}`);
  } else {
    const destinations = plan.outputs.map(parsePlace).filter((place) => place.transport === 'docker').map((place) => place.reference);
    for (const destination of destinations) args.push(`--destination=${destination}`);
    if (destinations.length === 0) args.push('--no-push');
  }
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

/** kaniko prints the executor command line and pod spec, runs the executor when it is present, and returns its image. */
export const kaniko: Backend = {
  name: 'kaniko',
  async build(plan, context) {
    if (plan.base.kind === 'place' && !plan.base.place.startsWith('docker://')) {
      throw new UsageError(`${plan.name}: kaniko pulls its base from a registry; push ${plan.base.place} and use docker://`);
    }
    const generated = await writeDockerContext(plan, join(context.generatedDir, plan.name), { manifestDir: dirname(context.manifestFile), syntax: dockerfileSyntax(context.env) });
    const executor = context.env.KILN_KANIKO_EXECUTOR || KANIKO_EXECUTOR;
    context.print(`# kaniko executor for ${plan.name}\n${[KANIKO_EXECUTOR, ...kanikoArgs(plan, generated.dir)].join(' \\\n    ')}\n# pod spec\n${kanikoPodSpec(plan, generated.dir)}`);
    if (!existsSync(executor)) {
      throw new OutputError(`${plan.name}: no kaniko executor at ${executor}, so nothing was built: run the pod spec above, or kiln inside the kaniko image (KILN_KANIKO_EXECUTOR names another path)`);
    }
    const archive = await tempArchive(context, plan.name);
    const args = kanikoArgs(plan, generated.dir, archive);
    try {
      await runTool(executor, args, { env: context.env, log: context.log, what: plan.name });
      if (!existsSync(archive)) throw new OutputError(`${plan.name}: ${executor} exited 0 but wrote no image at ${archive}`);
      return { ...(await readArchive(plan, archive, context)), commandLine: [executor, ...args] };
    } finally {
      await rm(archive, { force: true });
    }
  },
};
