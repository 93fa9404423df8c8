import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { streamTool, ToolError } from './exec.js';

async function text(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk;
  return out;
}

test('streamTool hands stdout to its reader while the command runs and returns what the reader returns', async () => {
  assert.equal(await streamTool('sh', ['-c', 'printf one; printf two'], { what: 'demo' }, text), 'onetwo');
});

test('streamTool: a command that fails is the error, with its last stderr line, even when the reader got output', async () => {
  await assert.rejects(
    streamTool('sh', ['-c', 'printf partial; echo "noise" >&2; echo "Error: no such image: app:1" >&2; exit 3'], { what: 'demo' }, text),
    (error) => error instanceof ToolError && error.message === 'demo: sh -c exited with 3: Error: no such image: app:1',
  );
  // The reader gave up on output cut short: the command's failure still explains it.
  await assert.rejects(
    streamTool('sh', ['-c', 'printf x; echo "Error: daemon went away" >&2; exit 1'], { what: 'demo' }, async (stdout) => {
      await text(stdout);
      throw new Error('not a complete tar');
    }),
    /demo: sh -c exited with 1: Error: daemon went away/,
  );
});

test('streamTool stops the command when its reader fails, and a missing command is one line', async () => {
  const started = Date.now();
  await assert.rejects(
    streamTool('sh', ['-c', 'printf x; exec sleep 30'], { what: 'demo' }, async (stdout) => {
      for await (const _ of stdout) throw new Error('the reader refused it');
      return '';
    }),
    /the reader refused it/,
  );
  assert.ok(Date.now() - started < 10_000, 'the command was stopped, not waited for');
  await assert.rejects(streamTool('/nonexistent/tool', [], { what: 'demo' }, text), /demo: cannot run \/nonexistent\/tool/);
});
