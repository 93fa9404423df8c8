// Command: the contract between main.ts and each module under commands/ (kept apart so neither imports the other).
import type { CommandContext } from './context.js';

/** Command is what each module under commands/ exports as `command`. */
export interface Command {
  summary: string;
  usage: string;
  run(args: string[], context: CommandContext): Promise<number>;
}
