// kiln sbom [DIR|FILE] [--plan plan.json] [--only NAME] [-o FILE]: the CycloneDX SBOM of an entry, written from its
// pinned plan, so it names exactly the .debs and wheels kiln installs (with their sha256) instead of guessing from files.
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import type { ImagePlan } from '../../plan/index.js';
import { parsePlace } from '../../places/place.js';
import { writeFileAtomic } from '../../places/blob-file.js';
import { UsageError } from '../../errors.js';
import { pinnedPlan } from '../pinned-plan.js';

const FORMATS = ['cyclonedx'];

export const command: Command = {
  summary: 'Write the CycloneDX 1.6 SBOM of an entry from its pinned plan: every Debian package (pkg:deb, .deb sha256, source package), every Python distribution (pkg:pypi, wheel sha256), path dependencies and the project with their content digest, the base by digest. Deterministic (timestamp from SOURCE_DATE_EPOCH).',
  usage: 'kiln sbom [DIR|FILE] [-f kiln.yaml] [--plan plan.json] [--only NAME] [--format cyclonedx] [-o FILE]',
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
    const { cycloneDxFromPlan } = await import('../../sbom/cyclonedx.js');
    const text = cycloneDxFromPlan(entry, { epoch: entry.epoch });
    if (values.output) await writeFileAtomic(values.output, text.endsWith('\n') ? text : `${text}\n`);
    else context.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    return 0;
  },
};
