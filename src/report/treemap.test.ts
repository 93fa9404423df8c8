import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layoutTree, squarify, type Rect, type SizeNode } from './treemap.js';

const area = (r: Rect): number => r.w * r.h;
const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-6 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

test('squarify: areas proportional to values, inside the rect, no overlaps, the whole rect covered, results in input order', () => {
  const rect = { x: 10, y: 20, w: 600, h: 400 };
  const values = [6, 6, 4, 3, 2, 2, 1, 0];
  const rects = squarify(values, rect);
  assert.equal(rects.length, values.length);
  const total = values.reduce((a, b) => a + b, 0);
  for (const [i, r] of rects.entries()) {
    close(area(r), (values[i]! / total) * area(rect), `box ${i}`);
    assert.ok(r.x >= rect.x - 1e-9 && r.y >= rect.y - 1e-9 && r.x + r.w <= rect.x + rect.w + 1e-9 && r.y + r.h <= rect.y + rect.h + 1e-9, `box ${i} inside`);
  }
  for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) assert.ok(overlap(rects[i]!, rects[j]!) < 1e-6, `boxes ${i} and ${j} overlap`);
  close(rects.reduce((sum, r) => sum + area(r), 0), area(rect), 'covered');
  // The paper's example: six boxes of 6,6,4,3,2,2,1 in 6x4 lay out with aspect ratios no worse than 3.
  for (const r of squarify([6, 6, 4, 3, 2, 2, 1], { x: 0, y: 0, w: 6, h: 4 })) assert.ok(Math.max(r.w / r.h, r.h / r.w) <= 3 + 1e-9, JSON.stringify(r));
  assert.deepEqual(squarify(values, rect), rects, 'deterministic');
  assert.deepEqual(squarify([0, 0], rect).map(area), [0, 0]);
});

test('squarify keeps the exact first layout of the paper (6,6,4,3,2,2,1 in 6x4)', () => {
  const rects = squarify([6, 6, 4, 3, 2, 2, 1], { x: 0, y: 0, w: 6, h: 4 });
  // First row: 6 and 6 stacked in a 3-wide strip on the left; then 4 on top of the remaining 3x4.
  assert.deepEqual(rects.slice(0, 2), [{ x: 0, y: 0, w: 3, h: 2 }, { x: 0, y: 2, w: 3, h: 2 }]);
  close(rects[2]!.x, 3, 'third box starts after the first strip');
});

test('layoutTree: one box per node, children inside their parent below its header, sized by bytes', () => {
  const tree: SizeNode = {
    name: 'image', size: 1000, kind: 'layer', children: [
      { name: 'layer 0', size: 700, kind: 'layer', children: [
        { name: 'libc6', size: 400, kind: 'package', key: 'debian:libc6', children: [{ name: '/usr/lib/x86_64-linux-gnu', size: 380, kind: 'folder', key: 'debian:libc6' }] },
        { name: '/etc', size: 100, kind: 'folder' },
      ] },
      { name: 'layer 1', size: 300, kind: 'layer', children: [{ name: '/app', size: 290, kind: 'folder' }] },
      { name: 'layer 2', size: 0, kind: 'layer' },
    ],
  };
  const boxes = layoutTree(tree, { x: 0, y: 0, w: 800, h: 500 }, { header: 14, padding: 2, minSide: 10 });
  assert.deepEqual(boxes.map((box) => box.path.join(' / ')), [
    'layer 0', 'layer 0 / libc6', 'layer 0 / libc6 / /usr/lib/x86_64-linux-gnu', 'layer 0 / /etc', 'layer 1', 'layer 1 / /app', 'layer 2',
  ]);
  const byPath = new Map(boxes.map((box) => [box.path.join(' / '), box] as const));
  close(area(byPath.get('layer 0')!), 0.7 * 800 * 500, 'layer 0 is 70% of the map');
  close(area(byPath.get('layer 1')!), 0.3 * 800 * 500, 'layer 1 is 30%');
  assert.equal(area(byPath.get('layer 2')!), 0, 'an empty layer is still a box');
  const layer0 = byPath.get('layer 0')!;
  const libc = byPath.get('layer 0 / libc6')!;
  const inner = (layer0.w - 4) * (layer0.h - 14 - 2);
  // Children share the inner area with the room their parent's size leaves over (700 - 500 bytes here).
  close(area(libc), (400 / 700) * inner, 'libc6 is 400/700 of layer 0\'s inner area');
  for (const [parent, child] of [[layer0, libc], [libc, byPath.get('layer 0 / libc6 / /usr/lib/x86_64-linux-gnu')!]] as const) {
    assert.ok(child.x >= parent.x && child.y >= parent.y + 14 - 1e-9 && child.x + child.w <= parent.x + parent.w + 1e-9 && child.y + child.h <= parent.y + parent.h + 1e-9);
    assert.equal(child.depth, parent.depth + 1);
  }
  assert.deepEqual(layoutTree(tree, { x: 0, y: 0, w: 800, h: 500 }, { header: 14, padding: 2, minSide: 10 }), boxes, 'deterministic');
  // A box too small for its children shows only itself.
  assert.deepEqual(layoutTree(tree, { x: 0, y: 0, w: 40, h: 30 }, { header: 14, padding: 2, minSide: 24 }).map((box) => box.node.name), ['layer 0', 'layer 1', 'layer 2']);
});
