// kiln completion bash|zsh|fish: a completion script made from every command's declarations (so it loads them all).
import { defineCommand, type Command } from '../command.js';
import { completionScript, SHELLS, type CompletedCommand } from '../completion.js';
import { COMMANDS, COMPLETION_LINE } from '../registry.js';

export const command: Command = defineCommand({
  summary: 'Print a shell completion script for kiln\'s commands, options and their values. bash: source <(kiln completion bash), or save it in /etc/bash_completion.d/; zsh: source <(kiln completion zsh), or save it as _kiln in a folder of $fpath; fish: kiln completion fish > ~/.config/fish/completions/kiln.fish.',
  arguments: [{ name: 'SHELL', required: true, choices: SHELLS, description: 'bash, zsh or fish' }],
  options: {},
  async run(_values, positionals, context) {
    const commands: CompletedCommand[] = [];
    for (const [name, entry] of Object.entries(COMMANDS)) commands.push({ name, line: entry.line, command: (await entry.load()).command });
    commands.push({ name: 'completion', line: COMPLETION_LINE.line, command });
    context.stdout.write(completionScript(positionals[0] as (typeof SHELLS)[number], commands));
    return 0;
  },
});
