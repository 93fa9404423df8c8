// The buildah backend: the generated Dockerfile built rootless-capable with `buildah bud --isolation chroot`,
// bases handed over as OCI layouts (buildah reads `oci:` in FROM), the result pushed to a docker-archive for kiln.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImagePlan } from '../plan/index.js';
import { writeImage } from '../places/index.js';
import { dockerTags } from './docker.js';
import { prepareContext, readArchive, tempArchive } from './daemon-build.js';
import { runTool } from './exec.js';
import { UsageError } from '../errors.js';
import type { Backend } from './types.js';
import { checkSecrets, passThroughArgs } from './pass-through.js';

/** buildahBudArgs is the `buildah bud` command line for a generated context. */
export function buildahBudArgs(plan: ImagePlan, contextDir: string): string[] {
  return ['bud', '--isolation', 'chroot', '--layers', ...dockerTags(plan).flatMap((tag) => ['-t', tag]), ...passThroughArgs(plan), '--platform', `${plan.platform.os}/${plan.platform.architecture}${plan.platform.variant ? `/${plan.platform.variant}` : ''}`, '-f', join(contextDir, 'Dockerfile'), contextDir];
}

/**
 * checkBuildahNetwork refuses a network buildah cannot give: with --isolation chroot, RUN steps share the host's
 * network, and buildah refuses any other (said here in one line, before bases are assembled for nothing).
 */
export function checkBuildahNetwork(plan: Pick<ImagePlan, 'name' | 'docker'>): void {
  const network = plan.docker?.network;
  if (network && network !== 'host') {
    throw new UsageError(`${plan.name}: --network ${network} cannot apply with buildah: its chroot isolation runs RUN steps in the host's network (use --backend docker, or network host)`);
  }
}

/** buildah builds with buildah, without a daemon. */
export const buildah: Backend = {
  name: 'buildah',
  async build(plan, context) {
    const client = context.env.KILN_BUILDAH || 'buildah';
    await checkSecrets(plan, context.env);
    checkBuildahNetwork(plan);
    // kiln's bases reach buildah's store as an OCI layout it pulls, tagged by digest (localhost/ avoids short-name lookups).
    const generated = await prepareContext(plan, context, async (image, name) => {
      const reference = `localhost/${name}:${(await image.digest()).slice(7, 19)}`;
      const present = await runTool(client, ['inspect', '--type', 'image', reference], { env: context.env, what: name }).then(() => true, () => false);
      if (present) return reference;
      // buildah names a pulled layout after its path, which must be a valid (lower-case) reference:
      // a generated dir under a mkdtemp name (mixed case) would be refused.
      const layout = join(tmpdir(), 'kiln-buildah-bases', `${process.pid}-${randomBytes(4).toString('hex')}`);
      try {
        await writeImage(`oci:${layout}:base`, image, { store: context.store, env: context.env });
        const id = (await runTool(client, ['pull', '--quiet', `oci:${layout}:base`], { env: context.env, what: name })).trim();
        await runTool(client, ['tag', id, reference], { env: context.env, what: name });
      } finally {
        await rm(layout, { recursive: true, force: true });
      }
      return reference;
    });
    const args = buildahBudArgs(plan, generated.dir);
    context.log(`${plan.name}: ${client} ${args.join(' ')}`);
    await runTool(client, args, { env: context.env, log: context.log, what: plan.name });
    const [reference] = dockerTags(plan);
    const archive = await tempArchive(context, plan.name);
    await runTool(client, ['push', reference!, `docker-archive:${archive}:${reference}`], { env: context.env, what: plan.name });
    return { ...(await readArchive(plan, archive, context)), reference: reference!, commandLine: [client, ...args] };
  },
};
