// The end of a test run's output: the slowest test files (so CI logs show where the time goes), then the line CI
// reads: `N passed, N failed[, N skipped]`. Usable as a Node test reporter, or as Summary fed event by event.
import { relative } from 'node:path';

const SLOWEST = 20;

/** Summary counts test results and times each file from the test runner's events. */
export class Summary {
  passed = 0;
  failed = 0;
  skipped = 0;
  // Per file: when the runner started its process (dequeue) and when that process ended (complete). Both arrive as
  // they happen; the file's own test events may be held back until earlier files have reported.
  spans = new Map();

  observe(event) {
    const file = event.data?.file;
    if (file && event.data.name === file && event.data.nesting === 0) {
      const now = performance.now();
      if (event.type === 'test:dequeue') this.spans.set(file, { first: now, last: now });
      else if (event.type === 'test:complete' && this.spans.has(file)) this.spans.get(file).last = now;
    }
    if (event.type !== 'test:pass' && event.type !== 'test:fail') return;
    if (event.data.details?.type === 'suite') return;
    if (event.data.skip || event.data.todo) this.skipped++;
    else if (event.type === 'test:pass') this.passed++;
    else this.failed++;
  }

  /** slowest lists [file, wall seconds], slowest first. */
  slowest(count = SLOWEST) {
    return [...this.spans.entries()]
      .map(([file, span]) => [file, (span.last - span.first) / 1000])
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, count);
  }

  text() {
    const slowest = this.slowest();
    const total = [...this.spans.values()].reduce((sum, span) => sum + (span.last - span.first) / 1000, 0);
    const lines = slowest.length ? [`\nslowest test files (wall seconds, of ${this.spans.size} taking ${total.toFixed(0)} s in all):`, ...slowest.map(([file, seconds]) => `${seconds.toFixed(1).padStart(8)}  ${relative(process.cwd(), file)}`)] : [];
    return `${lines.join('\n')}\n\n${this.passed} passed, ${this.failed} failed${this.skipped ? `, ${this.skipped} skipped` : ''}\n`;
  }
}

export default async function* summaryReporter(source) {
  const summary = new Summary();
  for await (const event of source) summary.observe(event);
  yield summary.text();
}
