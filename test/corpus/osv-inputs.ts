// Inputs of the scan cases: hello-python's pinned plan (plan.json) and an OSV export zip (osv.zip) made from the
// fixture records, with extra records or bytes broken as a case needs.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPlanFile } from '../../src/plan/index.js';
import { BOOKWORM_12_0, fixtureRecords, helloPythonPlan, writeZip, type ZipFileSpec } from '../../src/testing/osv.js';

/** writeScanInputs writes plan.json and osv.zip (the fixture records plus `extra`) into `dir`; returns the zip's bytes. */
export async function writeScanInputs(dir: string, extra: ZipFileSpec[] = []): Promise<Buffer> {
  await writeFile(join(dir, 'plan.json'), formatPlanFile({ manifestFile: join(dir, 'kiln.yaml'), notices: [], images: [await helloPythonPlan(BOOKWORM_12_0)] }));
  await writeZip(join(dir, 'osv.zip'), [...await fixtureRecords(), ...extra]);
  return readFile(join(dir, 'osv.zip'));
}
