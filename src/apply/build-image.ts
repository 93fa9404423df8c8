// assembleImage applies one ImagePlan: base -> python layers -> app layer -> config; reportImage describes the result.
import { dirname } from 'node:path';
import type { BlobStore } from '../cache/blob-store.js';
import type { Image } from '../oci/image.js';
import { appendLayers, withConfig, type Addendum } from '../oci/mutate.js';
import { buildLayer } from '../layer/build.js';
import { InputError, IntegrityError } from '../errors.js';
import { appEntries } from './app-layer.js';
import { resolveBase } from './base.js';
import type { ImagePlan } from '../plan/index.js';
import { entryProgress, type ProgressSink } from '../progress.js';

export { reportImage, reportIndex, type ImageReport, type LayerReport } from './image-report.js';

/** BuildContext carries the cache, logging and where progress events go. */
export interface BuildContext {
  store: BlobStore;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** progress receives fetch, extract and compress events; without it nothing is counted. */
  progress?: ProgressSink;
}

/**
 * assembleImage builds the image of a plan entry without writing it anywhere. It applies the entry's pins;
 * an entry not resolved yet (a library caller's) is resolved first, recording new pins in kiln.lock.
 */
export async function assembleImage(entry: ImagePlan, manifestFile: string, context: BuildContext): Promise<Image> {
  if (entry.unresolved) throw new InputError(entry.unresolved);
  const plan = entry.pinned ? entry : await resolveImage(entry, manifestFile, context);
  context.log(`${plan.name}: base ${plan.base.kind === 'distro' ? `${plan.base.spec.distro}/${plan.base.spec.release}` : plan.base.kind === 'place' ? plan.base.place : 'scratch'}`);
  const base = await resolveBase(plan, { store: context.store, env: context.env, manifestDir: dirname(manifestFile), log: context.log, ...(context.progress ? { progress: context.progress } : {}) });
  if (plan.pinned?.python?.target.from === 'packages') await checkTarget(plan, base.image, context);
  // The venv goes between base and app: it changes with the lock, the app with every edit.
  // Python's modules (locks, wheels, their schemas) load only for an entry with a python section.
  const python = plan.python ? await import('../python/image-layers.js') : undefined;
  const additions: Addendum[] = python ? await python.pythonLayers(plan, context) : [];
  if (plan.app) {
    context.log(`${plan.name}: app layer from ${plan.app.dir}`);
    // The pinned digest covers every path, mode and byte the layer copies: the same digest gives the same layer.
    const pinned = plan.pinned?.app;
    const cacheKey = pinned && pinned.dir === plan.app.dir && pinned.dest === plan.app.dest ? `app\0${pinned.digest}\0${pinned.dest}` : undefined;
    const progress = context.progress ? { progress: entryProgress(context.progress, plan.name), what: 'app layer' } : {};
    const built = await buildLayer(await appEntries(plan.app), { store: context.store, epoch: plan.epoch, ...(cacheKey ? { cacheKey } : {}), ...progress });
    additions.push({ layer: built.layer, history: { created: plan.created, created_by: `kiln: app ${plan.app.dest}`, comment: 'app' } });
  }
  const withApp = additions.length ? await appendLayers(base.image, ...additions) : base.image;
  const annotations = { ...plan.annotations, ...base.annotations };
  return withConfig(withApp, (config) => {
    config.created = plan.created;
    const runtime = config.config ?? {};
    const env = new Map((runtime.Env ?? []).map((entry) => [entry.split('=')[0]!, entry] as const));
    for (const entry of plan.python && python ? python.pythonEnv(plan.python.prefix, runtime.Env ?? []) : []) env.set(entry.split('=')[0]!, entry);
    for (const entry of plan.runtime.Env ?? []) env.set(entry.split('=')[0]!, entry);
    // As in a Dockerfile, an image that sets ENTRYPOINT does not inherit its base's CMD.
    const inherited = { ...runtime };
    if (plan.runtime.Entrypoint && !plan.runtime.Cmd) delete inherited.Cmd;
    config.config = {
      ...inherited,
      ...plan.runtime,
      Env: [...env.values()],
      Labels: { ...runtime.Labels, ...annotations, ...plan.runtime.Labels },
    };
  }, annotations);
}

async function resolveImage(entry: ImagePlan, manifestFile: string, context: BuildContext): Promise<ImagePlan> {
  const { resolvePlan } = await import('../resolve/index.js');
  const resolved = await resolvePlan({ manifestFile, images: [entry], notices: [] }, { store: context.store, env: context.env, writeLock: true, log: context.log });
  return resolved.plan.images[0]!;
}

// The Python target a plan read from the package list is checked against the assembled base (memoised by diffIds).
async function checkTarget(plan: ImagePlan, image: Image, context: BuildContext): Promise<void> {
  const pinned = plan.pinned!.python!.target;
  const { probeBasePython } = await import('../python/base-python.js');
  const probed = await probeBasePython(image, { store: context.store, what: plan.name });
  const want = [pinned.pythonFullVersion, pinned.interpreter, pinned.executable, pinned.libc.version.join('.'), pinned.distroPackages];
  const have = [probed.pythonFullVersion, probed.interpreter, probed.executable, probed.libc.version.join('.'), probed.distroPackages];
  if (JSON.stringify(want) !== JSON.stringify(have)) {
    throw new IntegrityError(`${plan.name}: the assembled base's Python (${have.join(', ')}) differs from the plan's (${want.join(', ')})`);
  }
}

