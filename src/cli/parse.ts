// parseCommand: a command's declarations become a commander command; its errors become one-line UsageErrors.
import { Argument, Command as Commander, CommanderError, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../errors.js';
import type { Command, OptionSpec, OptionValues } from './command.js';

/** Parsed is a command line the declarations accept, or `help` when --help was printed. */
export type Parsed = { help: true } | { help: false; values: OptionValues<Record<string, OptionSpec>>; positionals: string[] };

/** optionFlags is how commander spells a declaration: `-o, --output <DEST>`. */
export function optionFlags(name: string, spec: OptionSpec): string {
  const value = spec.type === 'string' ? ` <${spec.value ?? 'VALUE'}>` : '';
  return `${spec.short ? `-${spec.short}, ` : ''}--${name}${value}`;
}

// One parser for choices and repetition: commander's own .choices() would drop the collecting of `multiple`.
function valueParser(name: string, spec: OptionSpec): ((value: string, previous: unknown) => unknown) | undefined {
  if (spec.type !== 'string' || (!spec.multiple && !spec.choices)) return undefined;
  return (value, previous) => {
    if (spec.choices && !spec.choices.includes(value)) throw new InvalidArgumentError(`expected one of ${spec.choices.join(', ')}`);
    if (!spec.multiple) return value;
    // The first occurrence replaces the default rather than adding to it.
    return previous === spec.default || !Array.isArray(previous) ? [value] : [...previous, value];
  };
}

/** commanderCommand builds the commander command for `kiln NAME`, attached to a `kiln` program for its messages. */
export function commanderCommand(name: string, command: Command, write: (text: string) => void): Commander {
  const program = new Commander('kiln');
  const sub = program.command(name).description(command.summary);
  for (const item of [program, sub]) {
    item.exitOverride().configureOutput({ writeOut: write, writeErr: () => undefined, outputError: () => undefined });
    item.configureHelp({ styleTitle: (title) => title.toLowerCase() });
  }
  if (command.usage) sub.usage(command.usage.replace(/^kiln \S+\s*/, ''));
  for (const argument of command.arguments ?? []) {
    const label = `${argument.name}${argument.variadic ? '...' : ''}`;
    const made = new Argument(argument.required ? `<${label}>` : `[${label}]`, argument.description);
    if (argument.choices) made.choices(argument.choices);
    sub.addArgument(made);
  }
  for (const [key, spec] of Object.entries(command.options)) {
    const option = new Option(optionFlags(key, spec), spec.description);
    const parser = valueParser(key, spec);
    if (parser) option.argParser(parser);
    // A boolean's default (false) goes without saying in help; it is filled in below.
    if (spec.default !== undefined && spec.type === 'string') option.default(spec.default);
    sub.addOption(option);
  }
  return program;
}

/** usageError turns commander's message into kiln's one line: `error: unknown option '--x' (did you mean --y?)`. */
export function usageError(error: CommanderError): UsageError {
  const text = error.message.replace(/\n\(Did you mean/, ' (did you mean').replace(/\s*\n\s*/g, ' ').trim();
  return new UsageError(text.startsWith('error: ') ? text : `error: ${text}`, { cause: error });
}

/** parseCommand parses `args` against `command`'s declarations; `write` receives --help. */
export async function parseCommand(name: string, command: Command, args: string[], write: (text: string) => void): Promise<Parsed> {
  const program = commanderCommand(name, command, write);
  const sub = program.commands[0]!;
  let parsed: Parsed | undefined;
  sub.action(() => {
    const options = sub.opts();
    const values: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(command.options)) {
      // commander reads `--no-x` as x=false; kiln declares such flags as plain booleans named `no-x`.
      if (key.startsWith('no-')) values[key] = options[camel(key.slice(3))] === false ? true : spec.default ?? undefined;
      else values[key] = options[camel(key)] ?? spec.default;
    }
    parsed = { help: false, values: values as OptionValues<Record<string, OptionSpec>>, positionals: sub.args };
  });
  try {
    await program.parseAsync([name, ...args], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && (error.code === 'commander.helpDisplayed' || error.code === 'commander.help')) return { help: true };
    if (error instanceof CommanderError) throw usageError(error);
    throw error;
  }
  return parsed!;
}

function camel(key: string): string {
  return key.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
