// Progress lines: rewritten in place on a terminal, one plain line each otherwise; always on stderr.
import { createRequire } from 'node:module';
import type { SingleBar } from 'cli-progress';
import type { CommandContext } from './context.js';
import type { ProgressEvent, ProgressSink, ProgressStage } from '../progress.js';

/** progressLogger returns a log function suited to the context's stderr. */
export function progressLogger(context: CommandContext, quiet = false): { log: (line: string) => void; done: () => void } {
  if (quiet) return { log: () => undefined, done: () => undefined };
  const tty = context.stderr.isTTY === true;
  let last = '';
  return {
    log(line: string) {
      if (tty) {
        // A terminal that reports 0 columns (or none) gets the whole line rather than a cut to nothing.
        const width = (context.stderr as { columns?: number }).columns || 0;
        const text = width > 0 && line.length > width - 1 ? `${line.slice(0, Math.max(1, width - 2))}…` : line;
        context.stderr.write(`\r\x1b[2K${text}`);
        last = text;
      } else {
        context.stderr.write(`${line}\n`);
      }
    },
    done() {
      if (tty && last) context.stderr.write('\r\x1b[2K');
    },
  };
}

/** formatBytes prints sizes the way `docker images` does (decimal units). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** BuildProgressOptions: the entries to show (one line each on a terminal), --quiet, and a clock (tests). */
export interface BuildProgressOptions {
  entries: readonly string[];
  quiet?: boolean;
  now?: () => number;
  /** plainEvery is how long a non-terminal waits between two progress lines of one entry (default 5 s). */
  plainEvery?: number;
}

/** BuildProgress is what a build reports to: log lines, progress events, entries finishing. */
export interface BuildProgress {
  log: (line: string) => void;
  progress: ProgressSink;
  finished: (name: string, status: string, seconds: number) => void;
  done: () => void;
}

const VERBS: Record<ProgressStage, string> = { fetch: 'fetching', extract: 'extracting', compress: 'compressing' };

/** StageState is an entry's current stage: its tasks (several layers compress at once) and when it began. */
interface StageState {
  stage: ProgressStage;
  tasks: Map<string, { done: number; total: number }>;
  started: number;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** stageText says where a stage has got: "compressing 2 layers 12.3 MB/40.1 MB 4.2s". */
function stageText(state: StageState, now: number): { text: string; fraction: number } {
  const tasks = [...state.tasks];
  const done = tasks.reduce((sum, [, task]) => sum + task.done, 0);
  const total = tasks.reduce((sum, [, task]) => sum + task.total, 0);
  const what = tasks.length === 1 ? tasks[0]![0] : tasks.every(([name]) => name.startsWith('layer ')) ? `${tasks.length} layers` : tasks.map(([name]) => name).join(', ');
  return { text: `${VERBS[state.stage]} ${what} ${formatBytes(done)}/${formatBytes(total)} ${seconds(now - state.started)}`, fraction: total ? done / total : 1 };
}

// stageOf folds an event into its entry's stage: a new stage starts afresh, a task of the current one updates it.
function stageOf(states: Map<string, StageState>, event: ProgressEvent, now: number): { state: StageState; ended: boolean } {
  let state = states.get(event.entry);
  // A task starting after every task of its stage ended (a second base's .debs) is a stage of its own.
  const over = state && event.done === 0 && [...state.tasks.values()].every((task) => task.done === task.total);
  if (!state || state.stage !== event.stage || over) {
    state = { stage: event.stage, tasks: new Map(), started: now };
    states.set(event.entry, state);
  }
  state.tasks.set(event.what, { done: event.done, total: event.total });
  return { state, ended: [...state.tasks.values()].every((task) => task.done === task.total) };
}

// entryOf finds the entry a log line is about ("NAME: ..."), the longest name that fits.
function entryOf(line: string, entries: readonly string[]): string | undefined {
  let found: string | undefined;
  for (const name of entries) if (line.startsWith(`${name}: `) && (!found || name.length > found.length)) found = name;
  return found;
}

/**
 * buildProgress reports a build. On a terminal each entry has one line, redrawn in place (cli-progress's
 * MultiBar): its stage, bytes done/total and elapsed time, with a bar when the terminal is wide enough; a
 * terminal that reports 0 columns gets the same lines without a bar, uncut. Elsewhere log lines print as they
 * come and progress prints one line per entry when a stage ends, or every few seconds while it runs.
 */
export function buildProgress(context: CommandContext, options: BuildProgressOptions): BuildProgress {
  if (options.quiet) return { log: () => undefined, progress: () => undefined, finished: () => undefined, done: () => undefined };
  const now = options.now ?? (() => performance.now());
  const states = new Map<string, StageState>();
  if (context.stderr.isTTY !== true) {
    const every = options.plainEvery ?? 5000;
    const printed = new Map<string, number>();
    return {
      log: (line) => { context.stderr.write(`${line}\n`); },
      progress(event) {
        const at = now();
        const { state, ended } = stageOf(states, event, at);
        const last = printed.get(event.entry);
        if (!ended && last !== undefined && at - last < every) return;
        if (!ended && last === undefined && at - state.started < every) return;
        printed.set(event.entry, at);
        context.stderr.write(`${event.entry}: ${stageText(state, at).text}\n`);
        // A stage ended starts the clock again: its successor prints when it ends or after `every`.
        if (ended) printed.delete(event.entry);
      },
      finished: () => undefined,
      done: () => undefined,
    };
  }
  const stream = context.stderr as NodeJS.WriteStream;
  const columns = (): number => (stream as { columns?: number }).columns ?? 0;
  // On a narrow terminal a long entry name gives way first (its start cut), then the end of the line.
  const render = (name: string, rest: string, fraction: number | undefined): string => {
    const width = columns();
    // A terminal that reports no width gets the whole line and no bar: a guessed width would cut it.
    if (width <= 0) return `${name}: ${rest}`;
    const room = width - 1 - rest.length - 2;
    const shown = name.length > room ? `…${name.slice(name.length - Math.max(8, room - 1))}` : name;
    const line = `${shown}: ${rest}`;
    const barWidth = 20;
    const withBar = fraction !== undefined && line.length + barWidth + 4 < width;
    const text = withBar ? `${line} [${'#'.repeat(Math.round(fraction * barWidth)).padEnd(barWidth, '-')}]` : line;
    return text.length > width - 1 ? `${text.slice(0, Math.max(1, width - 2))}…` : text;
  };
  // Loaded only for a terminal: a build in CI, a pipe or with -q never reads the bar library.
  const { MultiBar } = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
  const multibar = new MultiBar({
    stream,
    format: (_options: unknown, _params: unknown, payload: { line: () => string }) => payload.line(),
    clearOnComplete: false,
    hideCursor: false,
    // Lines fit a terminal of known width, so its wrapping stays on (an interrupted build leaves the terminal as it
    // was). Without a width, wrapping is off while the lines are drawn: a long line is clipped by the terminal
    // instead of wrapping onto a second row, which would break the redraw.
    linewrap: columns() > 0,
  } as unknown as ConstructorParameters<typeof MultiBar>[0]);
  const lines = new Map<string, { text: string; stage?: StageState }>();
  const bars = new Map<string, SingleBar>();
  for (const name of options.entries) {
    lines.set(name, { text: `${name}: waiting` });
    bars.set(name, multibar.create(1, 0, {
      line: () => {
        const shown = lines.get(name)!;
        if (!shown.stage) return render(name, shown.text.slice(name.length + 2), undefined);
        const { text, fraction } = stageText(shown.stage, now());
        return render(name, text, fraction);
      },
    }));
  }
  const redraw = (name: string): void => { bars.get(name)?.update(0); };
  let stopped = false;
  return {
    log(line) {
      const name = entryOf(line, options.entries);
      if (!name) {
        // Shown above the entries' lines at the next redraw (without entries there are no redraws).
        if (bars.size) multibar.log(`${line}\n`);
        else context.stderr.write(`${line}\n`);
        return;
      }
      lines.set(name, { text: line });
      redraw(name);
    },
    progress(event) {
      if (!lines.has(event.entry)) return;
      const { state } = stageOf(states, event, now());
      lines.set(event.entry, { text: '', stage: state });
      redraw(event.entry);
    },
    finished(name, status, took) {
      lines.set(name, { text: `${name}: ${status} in ${seconds(took * 1000)}` });
      redraw(name);
    },
    done() {
      // One last redraw flushes log lines still waiting, then the lines stay as they are.
      if (bars.size && !stopped) {
        stopped = true;
        multibar.update();
        multibar.stop();
      }
    },
  };
}
