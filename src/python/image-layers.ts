// pythonLayers: an entry's pinned Python packages -> venv layers on top of its base: the venv skeleton,
// third-party wheels (one layer, plus one per `split` package), local path dependencies, the project.
// It installs what the plan pinned and never reads the lock or selects wheels itself.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { ImagePlan, PinnedPython, PinnedPythonPackage, PythonPlan } from '../plan/types.js';
import { InputError } from '../errors.js';
import { sha256 } from '../oci/digest.js';
import type { Addendum } from '../oci/mutate.js';
import { buildLayer, cachedLayer, type BuiltLayer } from '../layer/build.js';
import { LAYER_PATH_DEPENDENCIES, LAYER_PROJECT } from './layer-names.js';
import { targetOf } from './target.js';
import type { TargetEnvironment } from './types.js';
import { venvEntries } from './wheel/venv.js';
import type { LayerGroup, PythonLayerContext } from './layer-types.js';

export type { PythonLayerContext } from './layer-types.js';

// Bumped whenever the way a layer is made from the same wheels changes.
const LAYER_FORMAT = 1;

/** pythonEnv returns the Env entries that activate the venv: VIRTUAL_ENV and PATH with `<prefix>/bin` first. */
export function pythonEnv(prefix: string, baseEnv: readonly string[]): string[] {
  const path = baseEnv.find((entry) => entry.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  const bin = posix.join(prefix, 'bin');
  return [`VIRTUAL_ENV=${prefix}`, `PATH=${[bin, ...path.split(':').filter((dir) => dir && dir !== bin)].join(':')}`];
}

/** pythonLayers builds the layers of the entry's pinned Python packages; an image without a python section gets none. */
export async function pythonLayers(plan: ImagePlan, context: PythonLayerContext): Promise<Addendum[]> {
  const python = plan.python;
  if (!python) return [];
  const pinned = plan.pinned?.python;
  if (!pinned) throw new InputError(`${plan.name}: the plan has no pinned Python packages; resolve the plan first`);
  const target = targetOf(pinned.target, plan.platform);
  context.log(`${plan.name}: Python ${pinned.target.pythonFullVersion} (${pinned.target.interpreter}, ${target.libc.kind} ${target.libc.version.join('.')})`);
  context.log(`${plan.name}: ${pinned.packages.length} pinned packages from ${pinned.lock.path}`);

  const work = await mkdtemp(join(tmpdir(), 'kiln-python-'));
  try {
    const groups = layerGroups(pinned);
    const additions: Addendum[] = [await venvLayer(plan, python, pinned, context)];
    const todo: Array<{ group: LayerGroup; key: string; unhashed: boolean }> = [];
    const built = new Map<LayerGroup, BuiltLayer>();
    for (const group of groups) {
      // Keyed by what the plan pins, so a warm build neither fetches nor unpacks a wheel.
      const key = layerKey(python, target, group);
      // An unhashed wheel may change behind its URL, so its layer is never taken from the cache.
      const unhashed = group.wheels.some((wheel) => !wheel.pkg.sha256);
      const cached = unhashed ? undefined : await cachedLayer({ store: context.store, epoch: plan.epoch, cacheKey: key });
      if (cached) built.set(group, cached);
      else todo.push({ group, key, unhashed });
    }
    if (todo.length) {
      // Fetching, building and installing wheels is loaded only when a layer is missing: a code change that leaves
      // the Python layers cached loads none of it (nor the lock readers and schemas it reaches).
      const { buildMissingLayers } = await import('./layer-install.js');
      const missing = await buildMissingLayers(plan, todo, { python, pinned, target, work, keyOf: (group) => layerKey(python, target, group) }, context);
      for (const [group, layer] of missing) built.set(group, layer);
    }
    for (const group of groups) {
      additions.push({ layer: built.get(group)!.layer, history: { created: plan.created, created_by: group.createdBy, comment: group.comment } });
    }
    return additions;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function venvLayer(plan: ImagePlan, python: PythonPlan, pinned: PinnedPython, context: PythonLayerContext): Promise<Addendum> {
  const base = pinned.target;
  const entries = venvEntries({
    prefix: python.prefix,
    pythonFullVersion: base.pythonFullVersion,
    baseInterpreter: base.interpreter,
    baseExecutable: base.executable,
    includeSystemSitePackages: base.distroPackages,
  });
  const built = await buildLayer(entries, { store: context.store, epoch: plan.epoch });
  return { layer: built.layer, history: { created: plan.created, created_by: `kiln: python venv ${python.prefix} -> ${base.interpreter}`, comment: 'python venv' } };
}

function createdBy(layer: string, packages: PinnedPythonPackage[]): string {
  if (layer === LAYER_PATH_DEPENDENCIES) return `kiln: ${layer} ${packages.map((pkg) => pkg.name).join(' ')}`;
  if (layer === LAYER_PROJECT) return `kiln: ${layer} ${packages.map((pkg) => pkg.name).join(' ')}`;
  return `kiln: ${layer} ${packages.map((pkg) => `${pkg.name}==${pkg.version}`).join(' ')}`;
}

function layerGroups(pinned: PinnedPython): LayerGroup[] {
  const groups: LayerGroup[] = [];
  for (const pkg of pinned.packages) {
    let group = groups.at(-1);
    if (!group || group.comment !== pkg.layer) groups.push(group = { comment: pkg.layer, createdBy: '', wheels: [] });
    group.wheels.push({ pkg, sha256: pkg.sha256 ?? `unhashed:${pkg.name}==${pkg.version}:${pkg.filename}` });
  }
  for (const group of groups) group.createdBy = createdBy(group.comment, group.wheels.map((wheel) => wheel.pkg));
  return groups;
}

function layerKey(python: PythonPlan, target: TargetEnvironment, group: LayerGroup): string {
  return sha256(JSON.stringify({
    kind: 'kiln-python-layer',
    format: LAYER_FORMAT,
    prefix: python.prefix,
    python: target.pythonVersion,
    wheels: group.wheels.map((wheel) => [wheel.pkg.filename, wheel.sha256]),
  })).slice(7);
}
