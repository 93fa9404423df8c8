import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { testImagePlan } from '../testing/plans.js';
import { formatPlanFile, formatPlanJsonSchema, parsePlanFile } from './file.js';
import { PLAN_FORMAT, type BuildPlan } from './types.js';

const HASH = 'a'.repeat(64);

function samplePlan(): BuildPlan {
  return {
    manifestFile: '/work/kiln.yaml',
    notices: [],
    images: [testImagePlan({
      pinned: {
        base: { kind: 'distro', lockName: 'demo', codename: 'bookworm', packages: [{ name: 'libc6', version: '2.36-9', architecture: 'amd64', filename: 'pool/main/g/glibc/libc6.deb', sha256: HASH, size: 1, source: 'glibc', mirror: 'http://deb.debian.org/debian' }] },
        python: {
          target: { pythonFullVersion: '3.11.2', interpreter: '/usr/bin/python3', executable: '/usr/bin/python3.11', libc: { kind: 'glibc', version: [2, 36] }, distroPackages: false, from: 'packages' },
          lock: { path: '/work/poetry.lock', sha256: HASH },
          findLinks: [],
          indexUrls: ['https://pypi.org/simple'],
          packages: [{ name: 'six', version: '1.16.0', kind: 'index', filename: 'six-1.16.0-py2.py3-none-any.whl', sha256: HASH, layer: 'python dependencies' }],
        },
        app: { dir: '/work/app', dest: '/app', digest: `sha256:${HASH}` },
      },
    })],
  };
}

test('schema/kiln-plan.schema.json is up to date (regenerate: node --import tsx scripts/json-schema.ts)', async () => {
  const checkedIn = await readFile(new URL('../../schema/kiln-plan.schema.json', import.meta.url), 'utf8');
  assert.ok(checkedIn === formatPlanJsonSchema(), 'schema/kiln-plan.schema.json is stale: run node --import tsx scripts/json-schema.ts');
  const schema = JSON.parse(checkedIn) as { properties: Record<string, { const?: number }>; required: string[] };
  assert.equal(schema.properties.format!.const, PLAN_FORMAT);
  assert.deepEqual([...schema.required].sort(), ['format', 'images', 'manifestFile', 'notices']);
});

test('a plan file round-trips; another format, an unpinned entry or a bad digest is one line naming the file', () => {
  const plan = samplePlan();
  assert.deepEqual(parsePlanFile(formatPlanFile(plan), 'plan.json'), { format: PLAN_FORMAT, ...plan });
  const text = formatPlanFile(plan);
  const oneLine = (edit: (data: Record<string, unknown>) => void): string => {
    const data = JSON.parse(text) as Record<string, unknown>;
    edit(data);
    try {
      parsePlanFile(JSON.stringify(data), 'plan.json');
    } catch (error) {
      assert.ok(error instanceof InputError);
      return error.oneLine();
    }
    return assert.fail('accepted');
  };
  assert.equal(oneLine((data) => { data.format = 1; }), 'plan.json: plan format 1 is not one this kiln reads (2); write it again with kiln plan --json');
  assert.equal(oneLine((data) => { delete (data.images as Array<Record<string, unknown>>)[0]!.pinned; }), 'plan.json: entry "demo" pins nothing (written by kiln plan --no-resolve?): write the plan with kiln plan --json');
  assert.match(oneLine((data) => {
    ((data.images as Array<{ pinned: { python: { packages: Array<{ sha256: string }> } } }>)[0]!.pinned.python.packages[0]!).sha256 = 'nope';
  }), /^plan\.json: images\.0\.pinned\.python\.packages\.0\.sha256: /);
  assert.throws(() => parsePlanFile('{', 'plan.json'), (error) => error instanceof InputError && /^plan\.json: not valid JSON/.test(error.oneLine()));
});
