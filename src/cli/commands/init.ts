// kiln init [DIR] [--force] [--no-resolve]: write DIR/kiln.yaml for an existing poetry, uv, pylock or requirements
// project, then plan it as kiln plan does.
import { resolve } from 'node:path';
import { defineCommand } from '../command.js';

export const command = defineCommand({
  summary: 'Write DIR/kiln.yaml for an existing Python project: the lock it has (pylock.toml, uv.lock, poetry.lock, requirements*.txt), the console script from [project.scripts] or [tool.poetry.scripts] as the entrypoint (else main.py or app.py copied in as the app), and a distroless Debian base whose python3 is the newest fitting requires-python (or Poetry\'s python dependency). Then plans it and prints the plan, as kiln plan does (--no-resolve: without resolving). An existing kiln.yaml is kept unless --force.',
  arguments: [{ name: 'DIR', description: 'the project folder (default .)' }],
  options: {
    force: { type: 'boolean', default: false, description: 'overwrite an existing kiln.yaml' },
    'no-resolve': { type: 'boolean', default: false, description: 'plan without resolving (no downloads)' },
  },
  async run(values, positionals, context) {
    const dir = resolve(context.cwd, positionals[0] ?? '.');
    const { writeManifest } = await import('../../init/index.js');
    const { file } = await writeManifest(dir, { force: values.force });
    context.stderr.write(`kiln: wrote ${file}\n`);
    // The plan as `kiln plan DIR` prints it: its own declarations parse the arguments, defaults included.
    const [{ command: plan }, { parseCommand }] = await Promise.all([import('./plan.js'), import('../parse.js')]);
    const parsed = await parseCommand('plan', plan, [dir, ...(values['no-resolve'] ? ['--no-resolve'] : [])], (text) => context.stdout.write(text));
    return parsed.help ? 0 : plan.run(parsed.values, parsed.positionals, context);
  },
});
