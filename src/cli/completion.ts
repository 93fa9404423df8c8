// Shell completion scripts for bash, zsh and fish, generated from the commands' declarations (nothing hand-kept).
import type { Command, OptionSpec } from './command.js';

/** CompletedCommand is one command as completion sees it: its name, its help line and its declarations. */
export interface CompletedCommand {
  name: string;
  line: string;
  command: Command;
}

/** SHELLS are the shells `kiln completion` writes for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

function optionWords(key: string, spec: OptionSpec): string[] {
  return [`--${key}`, ...(spec.short ? [`-${spec.short}`] : [])];
}

// Single-quoted shell words: the only character to escape is the quote itself.
function quoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** bashScript defines _kiln_complete and registers it for `kiln`. */
export function bashScript(commands: readonly CompletedCommand[]): string {
  const lines = [
    '# kiln completion for bash: source <(kiln completion bash), or save it as /etc/bash_completion.d/kiln',
    '_kiln_complete() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
    `  local commands=${quoted(commands.map((c) => c.name).join(' '))}`,
    '  COMPREPLY=()',
    '  if [ "$COMP_CWORD" -eq 1 ]; then',
    '    COMPREPLY=($(compgen -W "$commands help --help --version" -- "$cur"))',
    '    return 0',
    '  fi',
    '  local options="" valued="" first=""',
    '  case "${COMP_WORDS[1]}" in',
  ];
  const valueCases: string[] = [];
  for (const { name, command } of commands) {
    const options = Object.entries(command.options);
    const words = options.flatMap(([key, spec]) => optionWords(key, spec));
    const valued = options.filter(([, spec]) => spec.type === 'string').flatMap(([key, spec]) => optionWords(key, spec));
    const first = command.arguments?.[0]?.choices ?? [];
    lines.push(`    ${quoted(name)}) options=${quoted([...words, '--help'].join(' '))}; valued=${quoted(valued.join(' '))}; first=${quoted(first.join(' '))} ;;`);
    for (const [key, spec] of options) {
      if (!spec.choices) continue;
      for (const word of optionWords(key, spec)) valueCases.push(`    ${quoted(`${name} ${word}`)}) COMPREPLY=($(compgen -W ${quoted(spec.choices.join(' '))} -- "$cur")); return 0 ;;`);
    }
  }
  lines.push(
    '    help) COMPREPLY=($(compgen -W "$commands" -- "$cur")); return 0 ;;',
    '  esac',
    '  case "${COMP_WORDS[1]} $prev" in',
    ...valueCases,
    '  esac',
    '  # The value of an option: left to the default (file names).',
    '  if [[ " $valued " == *" $prev "* ]]; then return 0; fi',
    '  if [[ "$cur" == -* ]]; then',
    '    COMPREPLY=($(compgen -W "$options" -- "$cur"))',
    '    return 0',
    '  fi',
    '  if [ "$COMP_CWORD" -eq 2 ] && [ -n "$first" ]; then',
    '    COMPREPLY=($(compgen -W "$first" -- "$cur"))',
    '  fi',
    '  return 0',
    '}',
    'complete -o default -F _kiln_complete kiln',
    '',
  );
  return lines.join('\n');
}

// zsh _arguments specs put descriptions in [...] and values after ':', so those characters are escaped.
function zshText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/([[\]:])/g, '\\$1').replace(/'/g, `'\\''`);
}

function zshOption(key: string, spec: OptionSpec): string[] {
  const value = spec.type === 'string' ? `:${zshText(spec.value ?? 'VALUE')}:${spec.choices ? `(${spec.choices.join(' ')})` : '_files'}` : '';
  const repeat = spec.multiple ? '*' : '';
  const description = `[${zshText(spec.description)}]`;
  const long = `'${repeat}--${key}${spec.type === 'string' ? '=' : ''}${description}${value}'`;
  return spec.short ? [long, `'${repeat}-${spec.short}${description}${value}'`] : [long];
}

/** zshScript works both from $fpath (as _kiln) and sourced (source <(kiln completion zsh)). */
export function zshScript(commands: readonly CompletedCommand[]): string {
  const lines = [
    '#compdef kiln',
    '# kiln completion for zsh: source <(kiln completion zsh), or save it as _kiln in a folder of $fpath',
    '_kiln() {',
    '  local -a commands',
    '  commands=(',
    ...commands.map(({ name, line }) => `    '${zshText(name)}:${zshText(line)}'`),
    '  )',
    '  if (( CURRENT == 2 )); then',
    "    _describe 'kiln command' commands",
    '    return',
    '  fi',
    '  local command=${words[2]}',
    '  shift words',
    '  (( CURRENT-- ))',
    '  case $command in',
  ];
  for (const { name, command } of commands) {
    const specs = Object.entries(command.options).flatMap(([key, spec]) => zshOption(key, spec));
    const first = command.arguments?.[0]?.choices;
    const positional = first ? [`'1:${zshText(command.arguments![0]!.name)}:(${first.join(' ')})'`, `'*:file:_files'`] : [`'*:file:_files'`];
    lines.push(`    ${name})`, `      _arguments -s ${[...specs, ...positional].join(' \\\n        ')}`, '      ;;');
  }
  lines.push(
    '  esac',
    '}',
    'if [ "$funcstack[1]" = "_kiln" ]; then',
    '  _kiln "$@"',
    'else',
    '  compdef _kiln kiln',
    'fi',
    '',
  );
  return lines.join('\n');
}

function fishText(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** fishScript is a list of `complete` lines: save it as ~/.config/fish/completions/kiln.fish. */
export function fishScript(commands: readonly CompletedCommand[]): string {
  const lines = [
    '# kiln completion for fish: kiln completion fish > ~/.config/fish/completions/kiln.fish',
    'complete -c kiln -f',
    ...commands.map(({ name, line }) => `complete -c kiln -n __fish_use_subcommand -a ${fishText(name)} -d ${fishText(line)}`),
  ];
  for (const { name, command } of commands) {
    const when = `-n ${fishText(`__fish_seen_subcommand_from ${name}`)}`;
    for (const [key, spec] of Object.entries(command.options)) {
      const value = spec.type === 'string' ? (spec.choices ? ` -x -a ${fishText(spec.choices.join(' '))}` : ' -r -F') : '';
      lines.push(`complete -c kiln ${when}${spec.short ? ` -s ${spec.short}` : ''} -l ${key}${value} -d ${fishText(spec.description)}`);
    }
    const first = command.arguments?.[0]?.choices;
    if (first) lines.push(`complete -c kiln -n ${fishText(`__fish_seen_subcommand_from ${name}; and not __fish_seen_subcommand_from ${first.join(' ')}`)} -a ${fishText(first.join(' '))}`);
    else lines.push(`complete -c kiln ${when} -F`);
  }
  lines.push('');
  return lines.join('\n');
}

/** completionScript writes the script for `shell`. */
export function completionScript(shell: Shell, commands: readonly CompletedCommand[]): string {
  if (shell === 'bash') return bashScript(commands);
  if (shell === 'zsh') return zshScript(commands);
  return fishScript(commands);
}
