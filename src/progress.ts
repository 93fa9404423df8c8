// Progress events: the library says how far long work has got (bytes of one stage of one entry); the CLI draws them.
// The library never prints: a caller that passes no sink gets no events and pays nothing.

/** ProgressStage is the kind of long work: fetching (.debs, wheels, base blobs), extracting (packages), compressing (layers). */
export type ProgressStage = 'fetch' | 'extract' | 'compress';

/**
 * ProgressEvent is one step of one task: `done` of `total` bytes. Within a task (entry, stage, what) `done` never
 * goes down and never passes `total`; it equals `total` only in the task's last event, so a reader knows it ended.
 */
export interface ProgressEvent {
  entry: string;
  stage: ProgressStage;
  /** what names the task's bytes ("42 .debs", "layer rest", "3 wheels"); concurrent tasks of one stage differ by it. */
  what: string;
  done: number;
  total: number;
}

/** ProgressSink receives events; it must be cheap (it is called per chunk while compressing). */
export type ProgressSink = (event: ProgressEvent) => void;

/** ProgressTask counts the bytes of one task and keeps its events monotonic. */
export class ProgressTask {
  private done = 0;
  private ended = false;

  constructor(private readonly sink: ProgressSink | undefined, private readonly base: Omit<ProgressEvent, 'done' | 'total'>, private total: number) {
    this.emit();
  }

  /** add counts bytes done; the count stops short of the total (which may be an estimate) until end(). */
  add(bytes: number): void {
    if (this.ended || bytes <= 0) return;
    const next = Math.min(Math.max(0, this.total - 1), this.done + bytes);
    if (next === this.done) return;
    this.done = next;
    this.emit();
  }

  /** grow adds bytes known only once done (a file whose size nobody stated) to both total and done. */
  grow(bytes: number): void {
    if (this.ended || bytes <= 0) return;
    this.total += bytes;
    this.done = Math.min(this.total - 1, this.done + bytes);
    this.emit();
  }

  /** end marks the task complete; `actual` replaces an estimated total when it is larger. */
  end(actual?: number): void {
    if (this.ended) return;
    this.ended = true;
    if (actual !== undefined && actual > this.total) this.total = actual;
    this.done = this.total;
    this.emit();
  }

  private emit(): void {
    this.sink?.({ ...this.base, done: this.done, total: this.total });
  }
}

/** Progress starts the tasks of one entry. */
export interface Progress {
  task(stage: ProgressStage, what: string, total: number): ProgressTask;
}

/** entryProgress binds a sink (maybe absent) to an entry name. */
export function entryProgress(sink: ProgressSink | undefined, entry: string): Progress {
  return { task: (stage, what, total) => new ProgressTask(sink, { entry, stage, what }, Math.max(0, total)) };
}

/** plural names a count of things ("1 wheel", "3 wheels"). */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
