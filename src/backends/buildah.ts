// The buildah backend: the generated Dockerfile built rootless-capable with `buildah bud --isolation chroot`,
// bases handed over as OCI layouts (buildah reads `oci:` in FROM), the result pushed to a docker-archive for kiln.
import { join } from 'node:path';
import type { ImagePlan } from '../build/plan.js';
import { writeImage } from '../places/index.js';
import { dockerTags } from './docker.js';
import { prepareContext, publishArchive, tempArchive } from './daemon-build.js';
import { runTool } from './exec.js';
import type { Backend } from './types.js';

/** buildahBudArgs is the `buildah bud` command line for a generated context. */
export function buildahBudArgs(plan: ImagePlan, contextDir: string): string[] {
  return ['bud', '--isolation', 'chroot', '--layers', ...dockerTags(plan).flatMap((tag) => ['-t', tag]), '--platform', `${plan.platform.os}/${plan.platform.architecture}${plan.platform.variant ? `/${plan.platform.variant}` : ''}`, '-f', join(contextDir, 'Dockerfile'), contextDir];
}

/** buildah builds with buildah, without a daemon. */
export const buildah: Backend = {
  name: 'buildah',
  async build(plan, context) {
    const client = context.env.KILN_BUILDAH || 'buildah';
    const generated = await prepareContext(plan, context, async (image, name) => {
      const layout = join(context.generatedDir, '.bases', name.replace(/[/:]/g, '_'));
      const tag = (await image.digest()).slice(7, 19);
      await writeImage(`oci:${layout}:${tag}`, image, { store: context.store, env: context.env });
      return `oci:${layout}:${tag}`;
    });
    const args = buildahBudArgs(plan, generated.dir);
    context.log(`${plan.name}: ${client} ${args.join(' ')}`);
    await runTool(client, args, { env: context.env, log: context.log, what: plan.name });
    const [reference] = dockerTags(plan);
    const archive = await tempArchive(context, plan.name);
    await runTool(client, ['push', reference!, `docker-archive:${archive}:${reference}`], { env: context.env, what: plan.name });
    return { report: await publishArchive(plan, archive, context), reference: reference!, commandLine: [client, ...args] };
  },
};
