// kiln sbom [DIR|FILE|PLACE] [--plan plan.json] [--only NAME] [-o FILE]: the SBOM of an entry, written from its pinned
// plan, so it names exactly the .debs and wheels kiln installs (with their sha256) instead of guessing from files; or,
// for an image kiln has no plan for (oci:, docker-archive:, docker://), read from its layers as scanners do.
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { planBuild, readPlanFile, selectEntries, type BuildPlan, type ImagePlan } from '../../plan/index.js';
import { parsePlace } from '../../places/place.js';
import { checkSbomFormat, renderSbom } from '../../sbom/render.js';
import type { Inventory } from '../../sbom/inventory.js';
import { writeFileAtomic } from '../../places/blob-file.js';
import { UsageError } from '../../errors.js';
import { progressLogger } from '../progress.js';
import { manifestPath } from './build.js';
import type { CommandContext } from '../context.js';

async function pinnedPlan(values: { plan?: string; file?: string; only?: string[] }, positionals: string[], context: CommandContext): Promise<BuildPlan> {
  if (values.plan) {
    if (positionals.length || values.file) throw new UsageError('--plan describes the plan file\'s entries: give no directory or -f with it');
    const plan = await readPlanFile(values.plan);
    return { ...plan, images: selectEntries(plan.images, values.only) };
  }
  const manifestFile = await manifestPath(positionals[0], context.cwd, values.file);
  const intent = await planBuild({ manifestFile, cwd: context.cwd, env: context.env, only: values.only });
  const progress = progressLogger(context, true);
  const { resolvePlan } = await import('../../resolve/index.js');
  const resolved = await resolvePlan(intent, { store: context.cache(), env: context.env, log: progress.log });
  progress.done();
  return resolved.plan;
}

const IMAGE_PLACE = /^(oci|docker-archive):|^docker:\/\//;

/** imageInventory reads what an image at a place holds from its layers, and its SBOM timestamp. */
async function imageInventory(place: string, context: CommandContext): Promise<{ inventory: Inventory; epoch: number }> {
  const { readImage } = await import('../../places/index.js');
  const { inventoryFromImage, imageEpoch } = await import('../../sbom/from-layers.js');
  const image = await readImage(parsePlace(place), { store: context.cache(), env: context.env });
  const inventory = await inventoryFromImage(image, { name: place });
  return { inventory, epoch: imageEpoch(await image.config(), context.env) };
}

/** planInventory is the inventory of the one entry a plan (or manifest) names, and its SBOM timestamp. */
async function planInventory(values: { plan?: string; file?: string; only?: string[] }, positionals: string[], context: CommandContext): Promise<{ inventory: Inventory; epoch: number }> {
  const plan = await pinnedPlan(values, positionals, context);
  if (plan.images.length !== 1) {
    throw new UsageError(`the manifest has ${plan.images.length} entries (${plan.images.map((image) => image.name).join(', ')}): name one with --only`);
  }
  const entry: ImagePlan = plan.images[0]!;
  const { inventoryFromPlan } = await import('../../sbom/inventory.js');
  return { inventory: inventoryFromPlan(entry), epoch: entry.epoch };
}

export const command: Command = {
  summary: 'Write the CycloneDX 1.6 SBOM of an entry from its pinned plan, or of any image (oci:, docker-archive:, docker://) from its layers (dpkg status and status.d, Python dist-info): every Debian package (pkg:deb, .deb sha256, source package), every Python distribution (pkg:pypi, wheel sha256), path dependencies and the project with their content digest, the base by digest. Deterministic (timestamp from SOURCE_DATE_EPOCH, or an image\'s created time).',
  usage: 'kiln sbom [DIR|FILE|PLACE] [-f kiln.yaml] [--plan plan.json] [--only NAME] [--format cyclonedx] [-o FILE]',
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        file: { type: 'string', short: 'f' },
        plan: { type: 'string' },
        only: { type: 'string', multiple: true },
        format: { type: 'string', default: 'cyclonedx' },
        output: { type: 'string', short: 'o' },
      },
    });
    if (positionals.length > 1) throw new UsageError(`sbom takes one directory, got ${positionals.length}`);
    checkSbomFormat(values.format);
    const place = positionals[0] && IMAGE_PLACE.test(positionals[0]) ? positionals[0] : undefined;
    if (place && (values.plan || values.file || values.only)) throw new UsageError(`${place}: an image is read from its layers; --plan, -f and --only name plan entries`);
    const { inventory, epoch } = place ? await imageInventory(place, context) : await planInventory(values, positionals, context);
    const text = renderSbom(values.format, inventory, { epoch });
    if (values.output) await writeFileAtomic(values.output, text.endsWith('\n') ? text : `${text}\n`);
    else context.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    return 0;
  },
};
