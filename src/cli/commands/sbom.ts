// kiln sbom [DIR|FILE|PLACE] [--plan plan.json] [--only NAME] [--format cyclonedx|spdx] [-o FILE]: the SBOM of an entry,
// written from its pinned plan, so it names exactly the .debs and wheels kiln installs (with their sha256) instead of
// guessing from files; or, for an image kiln has no plan for (oci:, docker-archive:, docker://), read from its layers
// as scanners do. kiln sbom --from-registry REF: the SBOM attached to a pushed image (or an oci: layout), read back verified.
import { defineCommand } from '../command.js';
import type { ImagePlan } from '../../plan/index.js';
import { checkSbomFormat, renderSbom } from '../../sbom/render.js';
import { writeFileAtomic } from '../../places/blob-file.js';
import { UsageError } from '../../errors.js';
import { IMAGE_PLACE, imageInventory, pinnedPlan } from '../inventories.js';
import type { CommandContext } from '../context.js';
import { manifestOptions, onlyOption } from '../options.js';
import type { Inventory } from '../../sbom/inventory.js';

async function write(text: string | Buffer, output: string | undefined, context: CommandContext): Promise<void> {
  if (output) await writeFileAtomic(output, text);
  else context.stdout.write(text);
}

// The SBOM is printed byte for byte as attached: its digest is what the artifact vouches for.
async function fromRegistry(reference: string, values: { format?: string; output?: string; platform?: string }, context: CommandContext): Promise<number> {
  const { readAttachedSbom } = await import('../../sbom/attached.js');
  const platform = values.platform ? parsePlatformFlag(values.platform) : undefined;
  const sbom = await readAttachedSbom(reference, { store: context.cache(), env: context.env, ...(values.format ? { format: values.format } : {}), ...(platform ? { platform } : {}) });
  await write(sbom.data, values.output, context);
  return 0;
}

function parsePlatformFlag(text: string): { os: string; architecture: string; variant?: string } {
  const [os, architecture, variant, extra] = text.split('/');
  if (!os || !architecture || extra !== undefined) throw new UsageError(`--platform "${text}" is not os/arch[/variant]`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** planInventory is the inventory of the one entry a plan (or manifest) names, and its SBOM timestamp. */
async function planInventory(values: { plan?: string; file?: string; only?: string[] }, positionals: string[], context: CommandContext): Promise<{ inventory: Inventory; epoch: number }> {
  const plan = await pinnedPlan(values, positionals[0], context);
  if (plan.images.length !== 1) {
    throw new UsageError(`the manifest has ${plan.images.length} entries (${plan.images.map((image) => image.name).join(', ')}): name one with --only`);
  }
  const entry: ImagePlan = plan.images[0]!;
  const { inventoryFromPlan } = await import('../../sbom/inventory.js');
  return { inventory: inventoryFromPlan(entry), epoch: entry.epoch };
}

export const command = defineCommand({
  summary: 'Write the CycloneDX 1.6 or SPDX 2.3 JSON SBOM of an entry from its pinned plan, or of any image (oci:, docker-archive:, docker://) from its layers (dpkg status and status.d, Python dist-info): every Debian package (pkg:deb, .deb sha256, source package), every Python distribution (pkg:pypi, wheel sha256), path dependencies and the project with their content digest, the base by digest. Deterministic (timestamp from SOURCE_DATE_EPOCH, or an image\'s created time). With --from-registry, read back the SBOM attached to an image (docker://REF, host/repo:tag, @digest, or oci:PATH:TAG), verified against its digest.',
  usage: 'kiln sbom [DIR|FILE|PLACE] [-f kiln.yaml] [--plan plan.json] [--only NAME] [--format cyclonedx|spdx] [-o FILE]  |  kiln sbom --from-registry REF [--format cyclonedx|spdx] [--platform os/arch] [-o FILE]',
  arguments: [{ name: 'DIR|FILE|PLACE', description: 'a kiln.yaml folder or file (default .), or an image place' }],
  options: {
    ...manifestOptions,
    plan: { type: 'string', value: 'FILE', description: 'the entry of a plan file (kiln plan --json)' },
    ...onlyOption,
    format: { type: 'string', choices: ['cyclonedx', 'spdx'], value: 'FORMAT', description: 'cyclonedx (default) or spdx' },
    output: { type: 'string', short: 'o', value: 'FILE', description: 'write the SBOM here instead of stdout' },
    'from-registry': { type: 'string', value: 'REF', description: 'read back the SBOM attached to a pushed image (or an oci: layout)' },
    platform: { type: 'string', value: 'OS/ARCH', description: 'with --from-registry, the image of an index to read' },
  },
  async run(values, positionals, context) {
    const reference = values['from-registry'];
    if (reference !== undefined) {
      if (positionals.length || values.file || values.plan || values.only || context.overrides) throw new UsageError('--from-registry reads the SBOM attached to an image: give no directory, -f, --set, --plan or --only with it');
      return fromRegistry(reference, values, context);
    }
    if (values.platform) throw new UsageError('--platform picks an image of an index with --from-registry; a plan entry has one platform');
    const format = values.format ?? 'cyclonedx';
    checkSbomFormat(format);
    const place = positionals[0] && IMAGE_PLACE.test(positionals[0]) ? positionals[0] : undefined;
    if (place && (values.plan || values.file || values.only || context.overrides)) throw new UsageError(`${place}: an image is read from its layers; --plan, -f, --set and --only name plan entries`);
    const { inventory, epoch } = place ? await imageInventory(place, context) : await planInventory(values, positionals, context);
    const text = renderSbom(format, inventory, { epoch, toolVersion: context.version });
    await write(text.endsWith('\n') ? text : `${text}\n`, values.output, context);
    return 0;
  },
});
