import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { ShebangRewrite } from './scripts.js';

async function rewrite(chunks: string[]): Promise<string> {
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(chunks.map((c) => Buffer.from(c))).pipe(new ShebangRewrite('/opt/venv/bin/python'))) out.push(chunk as Buffer);
  return Buffer.concat(out).toString();
}

test('ShebangRewrite replaces a #!python first line however the bytes are split into chunks', async () => {
  const cases: Array<[string, string]> = [
    ['#!python\nprint(1)\n', '#!/opt/venv/bin/python\nprint(1)\n'],
    ['#!python3.11 -u\nx\n', '#!/opt/venv/bin/python\nx\n'],
    ['#!python', '#!/opt/venv/bin/python\n'],
    ['#!/bin/sh\necho\n', '#!/bin/sh\necho\n'],
    ['#!pyth', '#!pyth'],
    ['', ''],
  ];
  for (const [input, expected] of cases) {
    for (let split = 0; split <= input.length; split++) {
      assert.equal(await rewrite([input.slice(0, split), input.slice(split)]), expected, JSON.stringify([input, split]));
    }
    assert.equal(await rewrite([...input]), expected, `${JSON.stringify(input)} byte by byte`);
  }
});
