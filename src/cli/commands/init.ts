// kiln init [DIR] [--force] [--no-resolve]: write DIR/kiln.yaml for an existing poetry, uv, pylock or requirements
// project, then plan it as kiln plan does.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../../errors.js';

const OPTIONS = {
  force: { type: 'boolean', default: false },
  'no-resolve': { type: 'boolean', default: false },
} as const;

export const command: Command = {
  summary: 'Write DIR/kiln.yaml for an existing Python project: the lock it has (pylock.toml, uv.lock, poetry.lock, requirements*.txt), the console script from [project.scripts] or [tool.poetry.scripts] as the entrypoint (else main.py or app.py copied in as the app), and a distroless Debian base whose python3 is the newest fitting requires-python (or Poetry\'s python dependency). Then plans it and prints the plan, as kiln plan does (--no-resolve: without resolving). An existing kiln.yaml is kept unless --force.',
  usage: 'kiln init [DIR] [--force] [--no-resolve]',
  async run(args, context) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: OPTIONS });
    if (positionals.length > 1) throw new UsageError(`init takes one directory, got ${positionals.length}`);
    const dir = resolve(context.cwd, positionals[0] ?? '.');
    const { writeManifest } = await import('../../init/index.js');
    const { file } = await writeManifest(dir, { force: values.force });
    context.stderr.write(`kiln: wrote ${file}\n`);
    const { command: plan } = await import('./plan.js');
    return plan.run([dir, ...(values['no-resolve'] ? ['--no-resolve'] : [])], context);
  },
};
