// kiln report [DIR] [-o FILE]: one self-contained HTML page about a manifest's entries (size treemap, packages and
// why they are there, tags and destinations, last scan, build history), from the plan and what the cache recorded.
import { resolve } from 'node:path';
import { defineCommand } from '../command.js';
import { manifestOptions } from '../options.js';
import { writeFileAtomic } from '../../places/blob-file.js';
import { manifestPath } from './build.js';
import { DEFAULT_REPORT_FILE } from '../../plan/types.js';

export const command = defineCommand({
  summary: 'Write one self-contained HTML file (no network when viewed) about each entry of DIR/kiln.yaml: a size treemap by layer, package and folder; the biggest packages with the chain that pulled each in (click any package for its chains); the Debian and Python package tables; tags and destinations; the findings of the last kiln scan; and the size and time of recent builds. Images are the entries\' last builds (kiln build); an entry never built is listed as not built. Default output: kiln-report.html in the current folder.',
  arguments: [{ name: 'DIR', description: 'the folder holding kiln.yaml (default .)' }],
  options: {
    ...manifestOptions,
    output: { type: 'string', short: 'o', default: DEFAULT_REPORT_FILE, value: 'FILE', description: 'the HTML file to write' },
  },
  async run(values, positionals, context) {
    const manifestFile = await manifestPath(positionals[0], context.cwd, values.file);
    const { gatherReport, renderReport } = await import('../../report/index.js');
    const data = await gatherReport({ manifestFile, store: context.cache(), cwd: context.cwd, env: context.env, kilnVersion: context.version, ...(context.overrides ? { overrides: context.overrides } : {}) });
    const output = resolve(context.cwd, values.output);
    await writeFileAtomic(output, renderReport(data));
    const built = data.entries.filter((entry) => entry.images.length).length;
    context.stdout.write(`wrote ${output}: ${data.entries.length} entr${data.entries.length === 1 ? 'y' : 'ies'}, ${built} built${built < data.entries.length ? ` (not built: ${data.entries.filter((entry) => !entry.images.length).map((entry) => entry.name).join(', ')})` : ''}\n`);
    return 0;
  },
});
