// Handing kiln-made images to Docker Engine: `docker load` of a docker-archive, named by digest so a warm run
// finds the image already loaded. Shared by the docker backend and the sdist builder.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore } from '../cache/blob-store.js';
import type { Image } from '../oci/image.js';
import { writeImage } from '../places/index.js';
import { runTool } from './exec.js';

/** dockerClient is the docker CLI to run: $KILN_DOCKER or `docker`. */
export function dockerClient(env: NodeJS.ProcessEnv): string {
  return env.KILN_DOCKER || 'docker';
}

/** LoadContext: the cache the image's blobs are in, the environment (KILN_DOCKER), the log, a folder for the archive. */
export interface LoadContext {
  store: BlobStore;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** tempDir holds the archive while it is loaded; default the OS temp dir. */
  tempDir?: string;
}

/** loadIntoDocker loads `image` as `<name>:<digest prefix>` unless the daemon has it, and returns that reference. */
export async function loadIntoDocker(image: Image, name: string, context: LoadContext): Promise<string> {
  const docker = dockerClient(context.env);
  const reference = `${name}:${(await image.digest()).slice(7, 19)}`;
  const present = await runTool(docker, ['image', 'inspect', '--format', '{{.Id}}', reference], { env: context.env, what: name }).then(() => true, () => false);
  if (present) return reference;
  if (context.tempDir) await mkdir(context.tempDir, { recursive: true });
  const dir = await mkdtemp(join(context.tempDir ?? tmpdir(), 'kiln-load-'));
  try {
    const archive = join(dir, 'image.tar');
    context.log(`${name}: docker load ${reference}`);
    await writeImage(`docker-archive:${archive}:${reference}`, image, { store: context.store, env: context.env });
    await runTool(docker, ['load', '-i', archive], { env: context.env, what: name });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return reference;
}
