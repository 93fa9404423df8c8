// kiln's command line: declares the commands, loads each on demand, prints errors as one line.
import { KilnError, UsageError, errorMessage } from '../errors.js';
import type { Command } from './command.js';
import type { CommandContext } from './context.js';
import { createContext } from './context.js';
import { redact } from '../http/redact.js';
import { onBrokenPipe } from './broken-pipe.js';
import { suggest } from '../config/suggest.js';
import { COMMANDS as LISTED, COMPLETION_LINE, helpText, type CommandEntry } from './registry.js';

export type { Command };
export { onBrokenPipe };

// Every command: the registry's, and completion, which reads the registry (so the registry cannot load it).
const COMMANDS: Record<string, CommandEntry> = { ...LISTED, completion: { ...COMPLETION_LINE, load: () => import('./commands/completion.js') } };

/** main runs one kiln invocation and returns the exit code; it never calls process.exit. */
export async function main(argv: string[], context: CommandContext = createContext()): Promise<number> {
  const debug = argv.includes('--debug') || process.env.KILN_DEBUG === '1';
  const args = argv.filter((arg) => arg !== '--debug');
  let name = args[0];
  if (name === 'help' && args[1]) {
    // `kiln help build` is `kiln build --help`.
    name = args[1];
    args.splice(0, 2, name, '--help');
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    context.stdout.write(helpText(COMMANDS) + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    context.stdout.write(`${context.version}\n`);
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  try {
    if (!entry) {
      const hint = name.startsWith('-') ? undefined : suggest(name, Object.keys(COMMANDS));
      throw new UsageError(name.startsWith('-') ? `error: unknown option '${name}' (options follow the command: kiln <command> ${name}; try kiln --help)` : `unknown command "${name}" (${hint ? `did you mean ${hint}? ` : ''}try kiln --help)`);
    }
    // The parser is loaded with the command: --help and --version need neither.
    const [{ command }, { parseCommand }] = await Promise.all([entry.load(), import('./parse.js')]);
    const parsed = await parseCommand(name, command, args.slice(1), (text) => context.stdout.write(text));
    if (parsed.help) return 0;
    const overrides = parsed.values.set as string[] | undefined;
    // argv goes along for the no-change fast path, which keys a build by its command line (src/cli/unchanged.ts).
    const commandContext = { ...context, argv: args, ...(overrides?.length ? { overrides } : {}) };
    return await command.run(parsed.values, parsed.positionals, commandContext);
  } catch (error) {
    context.stderr.write(`kiln: ${redact(errorMessage(error))}\n`);
    if (debug && error instanceof Error) context.stderr.write(`${redact(error.stack ?? '')}\n`);
    if (debug && error instanceof Error && error.cause instanceof Error) context.stderr.write(`caused by: ${redact(error.cause.stack ?? '')}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}

// When run directly (tests and `npm run kiln` use tsx), behave like bin/kiln.js.
if (import.meta.url === `file://${process.argv[1]}`) {
  onBrokenPipe(process.stdout, () => process.exit(0));
  process.exitCode = await main(process.argv.slice(2));
}

export { KilnError };
