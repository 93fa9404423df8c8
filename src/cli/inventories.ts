// Where the commands that read what an image holds (sbom, scan) get it: a pinned plan (a plan file as
// `kiln plan --json` wrote it, or the manifest resolved now: locks read, nothing built), or an image's layers.
import { planBuild, readPlanFile, selectEntries, type BuildPlan } from '../plan/index.js';
import { parsePlace } from '../places/place.js';
import type { Inventory } from '../sbom/inventory.js';
import { UsageError } from '../errors.js';
import { manifestPath } from './commands/build.js';
import type { CommandContext } from './context.js';
import { progressLogger } from './progress.js';

/** PlanSource is where the plan comes from: `--plan FILE`, or a directory / `-f kiln.yaml`, and `--only` patterns. */
export interface PlanSource {
  plan?: string;
  file?: string;
  only?: string[];
}

/** pinnedPlan reads `--plan FILE`, or plans and resolves the manifest (a directory argument or -f). */
export async function pinnedPlan(source: PlanSource, directory: string | undefined, context: CommandContext): Promise<BuildPlan> {
  if (source.plan) {
    if (directory || source.file || context.overrides) throw new UsageError('--plan describes the plan file\'s entries: give no directory, -f or --set with it');
    const plan = await readPlanFile(source.plan);
    return { ...plan, images: selectEntries(plan.images, source.only) };
  }
  const manifestFile = await manifestPath(directory, context.cwd, source.file);
  const intent = await planBuild({ manifestFile, overrides: context.overrides, cwd: context.cwd, env: context.env, only: source.only, store: context.cache() });
  const progress = progressLogger(context, true);
  const { resolvePlan } = await import('../resolve/index.js');
  const resolved = await resolvePlan(intent, { store: context.cache(), env: context.env, log: progress.log });
  progress.done();
  return resolved.plan;
}

/** IMAGE_PLACE tells an image place (`oci:`, `docker-archive:`, `docker://`) from a directory argument. */
export const IMAGE_PLACE = /^(oci|docker-archive):|^docker:\/\//;

/** imageInventory reads what an image at a place holds from its layers, and its SBOM timestamp. */
export async function imageInventory(place: string, context: CommandContext): Promise<{ inventory: Inventory; epoch: number }> {
  const { readImage } = await import('../places/index.js');
  const { inventoryFromImage, imageEpoch } = await import('../sbom/from-layers.js');
  const image = await readImage(parsePlace(place), { store: context.cache(), env: context.env });
  const inventory = await inventoryFromImage(image, { name: place });
  return { inventory, epoch: imageEpoch(await image.config(), context.env) };
}
