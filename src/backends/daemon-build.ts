// What the docker and buildah backends share: kiln's own bases handed to the builder, the generated context,
// and the built image read back from the builder's archive as an Image (kiln's publisher writes the outputs).
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { resolveBase } from '../apply/base.js';
import { reportImage } from '../apply/image-report.js';
import type { ImagePlan } from '../plan/index.js';
import type { DistroBaseSpec } from '../config/schema.js';
import type { Image } from '../oci/image.js';
import { readImage } from '../places/index.js';
import { probeBasePython } from '../python/base-python.js';
import { writeDockerContext, type BasePythonInfo, type ContextResult } from '../dockerfile/context.js';
import type { BackendContext, BackendResult } from './types.js';
import { BUILDER_SLIM } from '../plan/slim-rules.js';

/** BaseMode: `kiln` assembles the base natively and hands it to the builder; `stock` uses debian:<release>-slim + apt-get. */
export type BaseMode = 'kiln' | 'stock';

/** baseMode reads KILN_DOCKER_BASE (default kiln: the same base layers as a native build, no registry needed). */
export function baseMode(env: NodeJS.ProcessEnv): BaseMode {
  return env.KILN_DOCKER_BASE === 'stock' ? 'stock' : 'kiln';
}

/** dockerfileSyntax reads KILN_DOCKERFILE_SYNTAX: backends use the builder's built-in frontend unless it names one. */
export function dockerfileSyntax(env: NodeJS.ProcessEnv): string | null {
  return env.KILN_DOCKERFILE_SYNTAX && env.KILN_DOCKERFILE_SYNTAX !== 'none' ? env.KILN_DOCKERFILE_SYNTAX : null;
}

/**
 * builderSpec is the builder stage's distro base: the entry's packages plus pip, with a shell (slim), every
 * dependency (a full closure) and the headers and static libraries a compiler reads.
 */
export function builderSpec(spec: DistroBaseSpec): DistroBaseSpec {
  const packages = spec.packages.includes('python3-pip') ? spec.packages : [...spec.packages, 'python3-pip'];
  return { ...spec, packages, variant: 'slim', closure: 'full', slim: BUILDER_SLIM };
}

/** BaseHandoff puts a kiln-assembled image where the builder can use it in FROM and returns that name. */
export type BaseHandoff = (image: Image, name: string) => Promise<string>;

/** prepareContext writes generated/<entry>/ with FROM lines pointing at the bases handed to the builder. */
export async function prepareContext(plan: ImagePlan, context: BackendContext, handoff: BaseHandoff): Promise<ContextResult> {
  const manifestDir = dirname(context.manifestFile);
  const syntax = dockerfileSyntax(context.env);
  const dir = join(context.generatedDir, plan.name);
  const kilnBase = plan.base.kind === 'place' ? !plan.base.place.startsWith('docker://') : plan.base.kind === 'distro' && baseMode(context.env) === 'kiln';
  if (!kilnBase) {
    const stock = await writeDockerContext(plan, dir, { manifestDir, syntax, store: context.store });
    for (const note of stock.notes) context.log(`warning: ${note}`);
    return stock;
  }
  const baseContext = { store: context.store, env: context.env, manifestDir, log: context.log, ...(context.progress ? { progress: context.progress } : {}) };
  const base = await resolveBase(plan, baseContext);
  const baseImage = await handoff(base.image, `kiln-base/${plan.name}`);
  let builderImage: string | undefined;
  let basePython: BasePythonInfo | undefined;
  if (plan.python) {
    const probed = await probeBasePython(base.image, { store: context.store, what: plan.name });
    basePython = { pythonFullVersion: probed.pythonFullVersion, interpreter: probed.interpreter, distroPackages: probed.distroPackages };
    if (plan.base.kind === 'distro') {
      const spec = builderSpec(plan.base.spec);
      if (spec.packages !== plan.base.spec.packages || spec.variant !== plan.base.spec.variant) {
        // The builder base is locked in kiln.lock under "<entry>.builder".
        const builderPlan: ImagePlan = { ...plan, name: `${plan.name}.builder`, base: { kind: 'distro', spec } };
        builderImage = await handoff((await resolveBase(builderPlan, baseContext)).image, `kiln-base/${plan.name}.builder`);
      }
    }
  }
  return writeDockerContext(plan, dir, {
    manifestDir, syntax, baseImage, baseHasPackages: true, store: context.store,
    ...(builderImage ? { builderImage } : {}),
    ...(basePython ? { basePython } : {}),
  });
}

/** tempArchive is a fresh path for a builder's exported archive. */
export async function tempArchive(context: BackendContext, name: string): Promise<string> {
  const dir = join(context.generatedDir, '.archives');
  await mkdir(dir, { recursive: true });
  // Matrix entry names hold a slash (`server/3.11-cpu`): keep the archive in this one folder.
  return join(dir, `${name.replaceAll('/', '-')}-${process.pid}-${randomBytes(4).toString('hex')}.tar`);
}

/** readArchive reads the image a builder exported as a docker-archive into the cache and removes the archive. */
export async function readArchive(plan: ImagePlan, archive: string, context: BackendContext): Promise<BackendResult> {
  try {
    // readDockerArchive copies every blob into the store, so the image outlives the archive.
    const image = await readImage(`docker-archive:${archive}`, { store: context.store, env: context.env });
    return { image, report: await reportImage(plan.name, image, [], context.store) };
  } finally {
    await rm(archive, { force: true });
  }
}
