// The docker backend: the generated Dockerfile built by Docker Engine with BuildKit (DOCKER_BUILDKIT=1),
// tagged in the daemon (--load semantics), then read back as an Image as `docker save` writes it; kiln's publisher
// writes the outputs.
import { join } from 'node:path';
import type { ImagePlan } from '../plan/index.js';
import { UsageError } from '../errors.js';
import { parsePlace } from '../places/place.js';
import { prepareContext } from './daemon-build.js';
import { reportImage } from '../apply/image-report.js';
import { readDockerArchiveStream } from '../places/docker-archive.js';
import { dockerClient, loadIntoDocker } from './docker-load.js';
import { runTool, streamTool, ToolError } from './exec.js';
import type { Backend, BackendContext } from './types.js';
import { checkSecrets, passThroughArgs } from './pass-through.js';

export { dockerClient };

/** dockerTags are the daemon tags of an entry: every docker-archive and docker:// output's reference, else kiln/<name>:latest. */
export function dockerTags(plan: ImagePlan): string[] {
  const tags = new Set<string>();
  for (const output of plan.outputs) {
    const place = parsePlace(output);
    if (place.transport === 'docker') tags.add(place.reference);
    if (place.transport === 'docker-archive' && place.reference) tags.add(place.reference);
  }
  if (tags.size === 0) tags.add(`kiln/${plan.name}:latest`);
  return [...tags];
}

/** dockerBuildArgs is the `docker build` command line for a generated context. */
export function dockerBuildArgs(plan: ImagePlan, contextDir: string): string[] {
  return ['build', ...dockerTags(plan).flatMap((tag) => ['-t', tag]), ...passThroughArgs(plan), '--platform', `${plan.platform.os}/${plan.platform.architecture}${plan.platform.variant ? `/${plan.platform.variant}` : ''}`, '-f', join(contextDir, 'Dockerfile'), contextDir];
}

function buildEnv(context: BackendContext): NodeJS.ProcessEnv {
  return { ...context.env, DOCKER_BUILDKIT: '1' };
}

/** docker builds with Docker Engine's BuildKit. */
export const docker: Backend = {
  name: 'docker',
  async build(plan, context) {
    const client = dockerClient(context.env);
    await checkSecrets(plan, context.env);
    const generated = await prepareContext(plan, context, (image, name) => loadIntoDocker(image, name, { ...context, tempDir: join(context.generatedDir, '.archives') }));
    const args = dockerBuildArgs(plan, generated.dir);
    context.log(`${plan.name}: DOCKER_BUILDKIT=1 ${client} ${args.join(' ')}`);
    try {
      await runTool(client, args, { env: buildEnv(context), log: context.log, what: plan.name });
    } catch (error) {
      if (error instanceof ToolError && /buildx component is missing/.test(error.message)) {
        throw new UsageError(`${plan.name}: ${client} has no BuildKit (the buildx plugin is missing): install docker-buildx, or set KILN_DOCKER to a client with BuildKit built in (docker 20.10, e.g. Debian's /usr/bin/docker)`);
      }
      throw error;
    }
    const [reference] = dockerTags(plan);
    // Read as `docker save` writes it: no archive file written and read back, and hashing overlaps the export.
    const image = await streamTool(client, ['save', reference!], { env: context.env, what: plan.name }, (stdout) => readDockerArchiveStream(stdout, `docker save ${reference}`, context.store, reference));
    return { image, report: await reportImage(plan.name, image, [], context.store), reference: reference!, commandLine: [client, ...args] };
  },
};
