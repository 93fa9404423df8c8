import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entryAttachments } from '../apply/attachments.js';
import type { ImagePlan } from '../plan/types.js';
import { tempStore } from '../testing/images.js';
import { pinnedServerPlan } from '../testing/plans.js';
import { cycloneDxFromPlan, cycloneDxTemplate } from './cyclonedx.js';
import { fillTemplate, templateEntry } from './template.js';

// The same entry after a code edit: other app, project and path-dependency digests, wheel hashes and sizes, nothing else.
function edited(entry: ImagePlan, n: string): ImagePlan {
  const pins = entry.pinned!;
  return {
    ...entry,
    pinned: {
      ...pins,
      app: { ...pins.app!, digest: `sha256:${n.repeat(64)}` },
      python: { ...pins.python!, packages: pins.python!.packages.map((pkg) => (pkg.source ? { ...pkg, size: 1000 + pkg.name.length, sha256: `${n.repeat(62)}${pkg.name.length % 10}a`, source: { ...pkg.source, digest: `sha256:${n.repeat(63)}${pkg.name.length % 10}` } } : pkg)) },
    },
  };
}

// pinnedServerPlan with the hashes of the wheels built from local sources, as planning records them.
function withWheelHashes(entry: ImagePlan): ImagePlan {
  const pins = entry.pinned!;
  return { ...entry, pinned: { ...pins, python: { ...pins.python!, packages: pins.python!.packages.map((pkg) => (pkg.source ? { ...pkg, sha256: '0'.repeat(64), size: 999 } : pkg)) } } };
}

test('a template filled with an entry\'s digests is byte for byte the SBOM written for it directly', () => {
  const first = withWheelHashes(pinnedServerPlan());
  const template = cycloneDxTemplate(templateEntry(first).entry, { epoch: 0 });
  for (const entry of [first, edited(first, '7'), edited(first, 'e'), { ...first, pinned: { ...first.pinned!, app: undefined } }]) {
    const { entry: templated, digests } = templateEntry(entry);
    const own = cycloneDxTemplate(templated, { epoch: 0 });
    const direct = cycloneDxFromPlan(entry, { epoch: 0 });
    assert.equal(fillTemplate(own, digests), direct);
    if (entry.pinned!.app) assert.equal(fillTemplate(template, digests), direct, 'the template of the entry before the edit serves');
  }
  // What keys the remembered template is the same before and after an edit.
  assert.deepEqual(templateEntry(edited(first, '7')).entry, templateEntry(first).entry);
  // The serial number follows the content: two edits give two serials.
  const serial = (entry: ImagePlan): string => (JSON.parse(fillTemplate(template, templateEntry(entry).digests)) as { serialNumber: string }).serialNumber;
  assert.notEqual(serial(edited(first, '7')), serial(edited(first, 'e')));
});

test('entryAttachments writes the same SBOM from a remembered template as without a store', async () => {
  const store = await tempStore();
  const entry = withWheelHashes(pinnedServerPlan());
  const [fresh] = await entryAttachments(entry, store);
  const [again] = await entryAttachments(edited(entry, '5'), store);
  const [direct] = await entryAttachments(edited(entry, '5'));
  assert.equal(fresh!.data.toString(), cycloneDxFromPlan(entry, { epoch: entry.epoch }));
  assert.equal(again!.data.toString(), cycloneDxFromPlan(edited(entry, '5'), { epoch: entry.epoch }));
  assert.deepEqual(again, direct);
});
