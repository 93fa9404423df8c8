// kiln sbom [DIR|FILE] [--plan plan.json] [--only NAME] [--format cyclonedx|spdx] [-o FILE]: the SBOM of an entry, written
// from its pinned plan, so it names exactly the .debs and wheels kiln installs (with their sha256) instead of guessing from files.
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import type { ImagePlan } from '../../plan/index.js';
import { parsePlace } from '../../places/place.js';
import { writeFileAtomic } from '../../places/blob-file.js';
import { UsageError } from '../../errors.js';
import { pinnedPlan } from '../pinned-plan.js';
import type { Inventory } from '../../sbom/inventory.js';

/** WRITERS renders an inventory in each SBOM format kiln writes; each loads its library only when asked for. */
const WRITERS: Record<string, (inventory: Inventory, options: { epoch: number; toolVersion: string }) => Promise<string>> = {
  cyclonedx: async (inventory, options) => (await import('../../sbom/cyclonedx.js')).cycloneDxFromInventory(inventory, options),
  spdx: async (inventory, options) => (await import('../../sbom/spdx.js')).spdxFromInventory(inventory, options),
};
const FORMATS = Object.keys(WRITERS);

export const command: Command = {
  summary: 'Write the CycloneDX 1.6 or SPDX 2.3 JSON SBOM of an entry from its pinned plan: every Debian package (pkg:deb, .deb sha256, source package), every Python distribution (pkg:pypi, wheel sha256), path dependencies and the project with their content digest, the base by digest. Deterministic (timestamp from SOURCE_DATE_EPOCH).',
  usage: 'kiln sbom [DIR|FILE] [-f kiln.yaml] [--plan plan.json] [--only NAME] [--format cyclonedx|spdx] [-o FILE]',
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
    if (!FORMATS.includes(values.format)) throw new UsageError(`--format ${values.format} is not one kiln writes yet: use ${FORMATS.join(', ')}`);
    if (positionals[0] && /^(oci|docker-archive|docker):/.test(positionals[0])) {
      parsePlace(positionals[0]);
      throw new UsageError(`${positionals[0]}: kiln writes SBOMs from its own plans; reading one from an image's layers is not supported yet`);
    }
    const plan = await pinnedPlan(values, positionals[0], context);
    if (plan.images.length !== 1) {
      throw new UsageError(`the manifest has ${plan.images.length} entries (${plan.images.map((image) => image.name).join(', ')}): name one with --only`);
    }
    const entry: ImagePlan = plan.images[0]!;
    const { inventoryFromPlan } = await import('../../sbom/inventory.js');
    const text = await WRITERS[values.format]!(inventoryFromPlan(entry), { epoch: entry.epoch, toolVersion: context.version });
    if (values.output) await writeFileAtomic(values.output, text.endsWith('\n') ? text : `${text}\n`);
    else context.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    return 0;
  },
};
