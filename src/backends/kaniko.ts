// The kaniko backend: runs /kaniko/executor over the generated context where it exists (inside a kaniko
// image, since kaniko builds in its own container's root) and fails with one line everywhere else. The image
// the executor writes with --tar-path comes back as an Image; kiln's publisher writes the outputs.
import { existsSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ImagePlan } from '../plan/index.js';
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
 * lands in that tarball and kiln publishes it; without, registry outputs become --destination.
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

/**
 * kaniko runs the executor over the generated context and returns the Image it built. It exists only inside
 * a kaniko image (kaniko builds in its own container's root), so elsewhere the build fails rather than
 * reporting an image nobody built.
 */
export const kaniko: Backend = {
  name: 'kaniko',
  async build(plan, context) {
    const executor = context.env.KILN_KANIKO_EXECUTOR || KANIKO_EXECUTOR;
    if (!existsSync(executor)) {
      throw new UsageError(`--backend kaniko needs ${executor} (run kiln inside the kaniko image); elsewhere, kiln dockerfile writes the build context for a kaniko pod`);
    }
    if (plan.base.kind === 'place' && !plan.base.place.startsWith('docker://')) {
      throw new UsageError(`${plan.name}: kaniko pulls its base from a registry; push ${plan.base.place} and use docker://`);
    }
    const generated = await writeDockerContext(plan, join(context.generatedDir, plan.name), { manifestDir: dirname(context.manifestFile), syntax: dockerfileSyntax(context.env), store: context.store });
    const archive = await tempArchive(context, plan.name);
    const args = kanikoArgs(plan, generated.dir, archive);
    try {
      await runTool(executor, args, { env: context.env, log: context.log, what: plan.name });
      // An executor that exits 0 without writing the image has built nothing kiln can vouch for.
      const written = await stat(archive).then((info) => info.size, () => 0);
      if (written === 0) throw new OutputError(`${plan.name}: ${executor} exited 0 but wrote no image to ${archive}`);
      return { ...(await readArchive(plan, archive, context)), commandLine: [executor, ...args] };
    } finally {
      await rm(archive, { force: true });
    }
  },
};
