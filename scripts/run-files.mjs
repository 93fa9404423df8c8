// Runs the test files named, in the order named, with Node's test runner (`node --test` would sort them by path),
// printing spec output, the slowest files, and a final `N passed, N failed` line. Start it under `--import tsx`:
// each file's process inherits it. scripts/run-tests.mjs picks the files and their order.
import { resolve } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { pipeline } from 'node:stream/promises';
import { Summary } from './summary-reporter.mjs';

const files = process.argv.slice(2).map((file) => resolve(file));
const concurrency = Number(process.env.KILN_TEST_CONCURRENCY ?? '2');
const summary = new Summary();
await pipeline(
  run({ files, concurrency }),
  async function* observe(events) {
    for await (const event of events) {
      summary.observe(event);
      yield event;
    }
  },
  new spec(),
  process.stdout,
  { end: false },
);
process.stdout.write(summary.text());
process.exitCode = summary.failed > 0 ? 1 : 0;
