import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { CommandContext } from './context.js';
import { buildProgress } from './progress.js';
import { entryProgress } from '../progress.js';

/** FakeStream collects what is written; isTTY and columns are what a terminal (or a pipe) reports. */
class FakeStream extends Writable {
  text = '';
  constructor(readonly isTTY: boolean, readonly columns?: number) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

function contextWith(stderr: FakeStream): CommandContext {
  return { stderr, stdout: new FakeStream(false), env: {}, cwd: '/', version: '0', cache: () => { throw new Error('no cache here'); } };
}

/**
 * screen plays the escape sequences cli-progress and readline write (cursor up, column, clear line, clear below)
 * on a grid of lines, and returns what a terminal would show at the end.
 */
function screen(text: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  let col = 0;
  const put = (ch: string): void => {
    const line = (lines[row] ?? '').padEnd(col);
    lines[row] = line.slice(0, col) + ch + line.slice(col + 1);
    col++;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\x1b' && text[i + 1] === '[') {
      const match = /^\x1b\[(\??)(\d*)([A-Za-z])/.exec(text.slice(i))!;
      i += match[0].length - 1;
      const n = Number(match[2] || '0');
      if (match[1]) continue;
      if (match[3] === 'A') row = Math.max(0, row - (n || 1));
      else if (match[3] === 'B') row += n || 1;
      else if (match[3] === 'G') col = Math.max(0, n - 1);
      else if (match[3] === 'K') lines[row] = n === 2 ? '' : (lines[row] ?? '').slice(0, col);
      else if (match[3] === 'J') lines.splice(row + 1, lines.length, ...[]), (lines[row] = (lines[row] ?? '').slice(0, col));
      continue;
    }
    if (ch === '\n') {
      row++;
      col = 0;
      lines[row] ??= '';
    } else if (ch === '\r') col = 0;
    else put(ch);
  }
  return lines.map((line) => line.trimEnd()).filter(Boolean);
}

// Drives two entries: api compresses two layers at once, worker finishes; one log line is about neither.
function drive(stream: FakeStream, entries: string[]): void {
  let clock = 0;
  const progress = buildProgress(contextWith(stream), { entries, now: () => clock });
  const api = entryProgress(progress.progress, entries[0]!);
  progress.log(`${entries[0]}: base debian/bookworm`);
  progress.log('kiln: a note about no entry');
  const fetch = api.task('fetch', '3 .debs', 4000);
  clock = 500;
  fetch.end();
  const core = api.task('compress', 'layer core', 2000);
  const rest = api.task('compress', 'layer rest', 1000);
  clock = 2500;
  core.add(1000);
  rest.add(500);
  progress.finished(entries[1]!, 'built', 1.25);
  progress.done();
}

test('on an 80-column terminal each entry is one line, redrawn in place, with a bar, never wider than the terminal', () => {
  const stream = new FakeStream(true, 80);
  drive(stream, ['api', 'worker']);
  assert.deepEqual(screen(stream.text), [
    'kiln: a note about no entry',
    'api: compressing 2 layers 1.5 kB/3.0 kB 2.0s [##########----------]',
    'worker: built in 1.3s',
  ]);
  const long = new FakeStream(true, 80);
  drive(long, ['a-matrix-entry-with-a-name-long-enough/to-fill-most-of-the-line', 'worker']);
  const lines = screen(long.text);
  assert.ok(lines.every((line) => line.length <= 79), lines.join('\n'));
  // The name gives way (its start cut) so the stage and bytes stay readable.
  assert.match(lines[1]!, /^….*-of-the-line: compressing 2 layers 1\.5 kB\/3\.0 kB 2\.0s$/);
});

test('a terminal that reports 0 columns still gets whole, readable lines (no bar, nothing cut)', () => {
  const name = 'a-matrix-entry-with-a-name-long-enough/to-fill-most-of-the-line';
  const stream = new FakeStream(true, 0);
  drive(stream, [name, 'worker']);
  assert.deepEqual(screen(stream.text), [
    'kiln: a note about no entry',
    `${name}: compressing 2 layers 1.5 kB/3.0 kB 2.0s`,
    'worker: built in 1.3s',
  ]);
});

test('not on a terminal: log lines as they come, progress at a stage\'s end or every few seconds per entry', () => {
  const stream = new FakeStream(false);
  let clock = 0;
  const progress = buildProgress(contextWith(stream), { entries: ['api', 'worker'], now: () => clock, plainEvery: 5000 });
  const api = entryProgress(progress.progress, 'api');
  const worker = entryProgress(progress.progress, 'worker');
  progress.log('api: base debian/bookworm');
  const fetch = api.task('fetch', '2 .debs', 3000);
  const other = worker.task('fetch', '1 wheel', 100);
  for (const [at, bytes] of [[1000, 500], [2000, 500], [6000, 500], [7000, 500]] as const) {
    clock = at;
    fetch.add(bytes);
  }
  clock = 8000;
  fetch.end();
  other.end();
  const extract = api.task('extract', '2 .debs', 500);
  clock = 9000;
  extract.end();
  progress.done();
  assert.equal(stream.text, [
    'api: base debian/bookworm',
    'api: fetching 2 .debs 1.5 kB/3.0 kB 6.0s',
    'api: fetching 2 .debs 3.0 kB/3.0 kB 8.0s',
    'worker: fetching 1 wheel 100 B/100 B 8.0s',
    'api: extracting 2 .debs 500 B/500 B 1.0s',
    '',
  ].join('\n'));
});

test('--quiet prints nothing, on a terminal or not', () => {
  for (const stream of [new FakeStream(true, 80), new FakeStream(false)]) {
    const progress = buildProgress(contextWith(stream), { entries: ['api'], quiet: true });
    progress.log('api: base');
    entryProgress(progress.progress, 'api').task('fetch', '1 .deb', 10).end();
    progress.finished('api', 'built', 1);
    progress.done();
    assert.equal(stream.text, '');
  }
});
