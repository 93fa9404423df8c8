// Command: the contract between main.ts and each module under commands/ (kept apart so neither imports the other).
//
// A command declares its options and arguments as data; main.ts turns them into a commander command, parses, and
// calls `run(values, positionals, context)`. The same declarations feed `kiln --help`, `kiln CMD --help` and
// `kiln completion`. Converting a command written with node:util parseArgs is mechanical:
//
//   before:  async run(args, context) {
//              const { values, positionals } = parseArgs({ args, allowPositionals: true, options: {
//                file: { type: 'string', short: 'f' }, json: { type: 'boolean', default: false } } });
//              ...
//   after:   export const command = defineCommand({
//              summary: '...', usage: 'kiln report [DIR] [-f kiln.yaml] [--json]',
//              arguments: [{ name: 'DIR', description: 'the folder holding kiln.yaml (default .)' }],
//              options: {
//                file: { type: 'string', short: 'f', value: 'FILE', description: 'the manifest (default DIR/kiln.yaml)' },
//                json: { type: 'boolean', default: false, description: 'print JSON' },
//              },
//              async run(values, positionals, context) { ... the same body ... },
//            });
//
// Option keys keep their spelling (`values['fail-fast']`), and values are typed from the declarations as parseArgs
// typed them: a string option is `string | undefined` unless it has a default, `multiple` makes it `string[]`.
// Unknown options, missing values and extra arguments never reach `run`: they are usage errors (exit 2).
import type { CommandContext } from './context.js';

/** OptionSpec declares one `--name` option. A `no-NAME` boolean is a plain flag that is false until given. */
export interface OptionSpec {
  type: 'boolean' | 'string';
  /** short is the one-letter alias (`o` for `-o`). */
  short?: string;
  /** multiple collects every occurrence into a list (`-o A -o B`). */
  multiple?: boolean;
  default?: string | boolean | readonly string[];
  /** choices are the only values accepted (and what shell completion offers). */
  choices?: readonly string[];
  description: string;
  /** value names the option's value in help (`--file FILE`); default VALUE. */
  value?: string;
}

/** ArgumentSpec declares one positional argument, in order. */
export interface ArgumentSpec {
  /** name is shown in help (`DIR`, `PACKAGE`). */
  name: string;
  required?: boolean;
  /** variadic takes every remaining argument; only the last argument may be variadic. */
  variadic?: boolean;
  choices?: readonly string[];
  description?: string;
}

type OptionValue<S extends OptionSpec> = S['type'] extends 'boolean' ? boolean : S extends { multiple: true } ? string[] : string;

/** OptionValues is what `run` receives for a set of declarations: keys as declared, typed like node:util parseArgs. */
export type OptionValues<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K] extends { default: unknown } ? OptionValue<O[K]> : OptionValue<O[K]> | undefined;
};

/** CommandSpec is a command with its option declarations `O`. */
export interface CommandSpec<O extends Record<string, OptionSpec>> {
  /** summary is the paragraph `kiln CMD --help` prints. */
  summary: string;
  /** usage replaces the generated usage line when the command has several forms (`kiln push [DIR] | kiln push SRC DEST...`). */
  usage?: string;
  arguments?: readonly ArgumentSpec[];
  options: O;
  run(values: OptionValues<O>, positionals: string[], context: CommandContext): Promise<number>;
}

/** Command is what each module under commands/ exports as `command`. */
export type Command = CommandSpec<Record<string, OptionSpec>>;

/** defineCommand types `run`'s values from the option declarations; it returns the spec unchanged. */
export function defineCommand<const O extends Record<string, OptionSpec>>(spec: CommandSpec<O>): Command {
  return spec as unknown as Command;
}
