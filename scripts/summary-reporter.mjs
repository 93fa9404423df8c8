// Node test-runner reporter that ends the run with the slowest test files (so CI logs show where the time goes) and
// then the line CI reads: `N passed, N failed[, N skipped]`.
import { relative } from 'node:path';

const SLOWEST = 10;

/** slowestFiles turns each file's start and end (performance.now() ms) into [file, seconds], slowest first. */
export function slowestFiles(spans, count = SLOWEST) {
  return [...spans.entries()]
    .map(([file, span]) => [file, (span.last - span.first) / 1000])
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, count);
}

export default async function* summaryReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  // Per file: when the runner started its process (dequeue) and when that process ended (complete). Both arrive as
  // they happen; the file's own test events may be held back until earlier files have reported.
  const spans = new Map();
  for await (const event of source) {
    const file = event.data?.file;
    if (file && event.data.name === file && event.data.nesting === 0) {
      const now = performance.now();
      if (event.type === 'test:dequeue') spans.set(file, { first: now, last: now });
      else if (event.type === 'test:complete' && spans.has(file)) spans.get(file).last = now;
    }
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data.details?.type === 'suite') continue;
    if (event.data.skip || event.data.todo) skipped++;
    else if (event.type === 'test:pass') passed++;
    else failed++;
  }
  const slowest = slowestFiles(spans);
  if (slowest.length) {
    yield `\nslowest test files (wall seconds, of ${spans.size}):\n`;
    for (const [file, seconds] of slowest) yield `${seconds.toFixed(1).padStart(8)}  ${relative(process.cwd(), file)}\n`;
  }
  yield `\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
}
