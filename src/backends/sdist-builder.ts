// The sdist builder: sdists that need compiling are built by pip in the base's own Python, in a container with
// no network (`docker run --network none`), from the unpacked sdist at a fixed path, so the wheel fits the target
// and the build sees nothing but its sources. For a distro base the container is the base plus a compiler, Python
// headers and pip, assembled by kiln and locked in kiln.lock as "<entry>.sdist-builder"; any other base is used
// as it is (it must bring pip and a compiler).
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveBase, type BaseContext } from '../apply/base.js';
import type { DistroBaseSpec } from '../config/schema.js';
import { InputError } from '../errors.js';
import type { ImagePlan, PythonTarget } from '../plan/types.js';
import type { SdistBuilder, SdistBuildRequest } from '../python/sdist/build.js';
import { dockerClient, loadIntoDocker } from './docker-load.js';
import { runTool, ToolError } from './exec.js';
import { BUILDER_SLIM } from '../plan/slim-rules.js';

/** SDIST_BUILD_PACKAGES are what a distro base gains to build C extensions: pip, the backend, headers, a compiler. */
export const SDIST_BUILD_PACKAGES = ['python3-pip', 'python3-setuptools', 'python3-wheel', 'python3-dev', 'gcc', 'libc6-dev'];

/**
 * sdistBuilderSpec is the builder's distro base: the entry's packages plus SDIST_BUILD_PACKAGES, with a shell (slim),
 * every dependency (a full closure) and the headers and static libraries a compiler reads.
 */
export function sdistBuilderSpec(spec: DistroBaseSpec): DistroBaseSpec {
  return { ...spec, packages: [...new Set([...spec.packages, ...SDIST_BUILD_PACKAGES])], variant: 'slim', closure: 'full', slim: BUILDER_SLIM };
}

/** pipWheelArgs is the `docker run` command line that builds the sdist mounted at /kiln/src into /kiln/out. */
export function pipWheelArgs(image: string, plan: ImagePlan, target: PythonTarget, request: SdistBuildRequest, user: string): string[] {
  const platform = `${plan.platform.os}/${plan.platform.architecture}${plan.platform.variant ? `/${plan.platform.variant}` : ''}`;
  return [
    'run', '--rm', '--network', 'none', '--platform', platform, '--user', user,
    '-e', 'HOME=/tmp', '-e', `SOURCE_DATE_EPOCH=${request.epoch}`, '-e', 'PIP_DISABLE_PIP_VERSION_CHECK=1', '-e', 'PIP_NO_CACHE_DIR=1',
    '-v', `${request.sourceDir}:/kiln/src`, '-v', `${request.outDir}:/kiln/out`, '-w', '/kiln/src',
    '--entrypoint', target.interpreter, image,
    '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '--no-index', '--wheel-dir', '/kiln/out', '/kiln/src',
  ];
}

/** containerSdistBuilder builds in a container of the entry's builder image, assembled and loaded on first use. */
export function containerSdistBuilder(plan: ImagePlan, target: PythonTarget, context: BaseContext & { log: (line: string) => void }): SdistBuilder {
  const builderPlan: ImagePlan = plan.base.kind === 'distro' ? { ...plan, name: `${plan.name}.sdist-builder`, base: { kind: 'distro', spec: sdistBuilderSpec(plan.base.spec) } } : plan;
  let image: Promise<string> | undefined;
  const loaded = (): Promise<string> => (image ??= resolveBase(builderPlan, context).then((base) => loadIntoDocker(base.image, `kiln-base/${builderPlan.name}`, context)));
  return {
    key: JSON.stringify({ builder: 'docker', base: builderPlan.base, platform: plan.platform, python: target.pythonFullVersion }),
    async build(request) {
      const reference = await loaded();
      await mkdir(request.outDir, { recursive: true });
      const user = `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`;
      const what = `${request.name} ${request.version}`;
      context.log(`${what}: pip wheel ${request.sdistFilename} in ${reference}`);
      try {
        await runTool(dockerClient(context.env), pipWheelArgs(reference, plan, target, request, user), { env: context.env, log: context.log, what });
      } catch (error) {
        if (!(error instanceof ToolError)) throw error;
        throw new InputError(`${what}: building ${request.sdistFilename} in the builder failed: ${error.message.replace(`${what}: `, '')}`, { cause: error });
      }
      const wheels = (await readdir(request.outDir)).filter((name) => name.endsWith('.whl'));
      if (wheels.length !== 1) throw new InputError(`${what}: building ${request.sdistFilename} in the builder gave ${wheels.length} wheels, expected one`);
      return join(request.outDir, wheels[0]!);
    },
  };
}
