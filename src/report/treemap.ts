// Treemap layout: squarified (Bruls, Huizing, van Wijk), so boxes stay close to square and labels fit; pure and
// deterministic (children are laid out biggest first, ties by name), so the same data draws the same picture.

/** SizeNode is one box to draw: a layer, a package or a folder, sized by bytes. */
export interface SizeNode {
  name: string;
  /** size is the node's bytes; a node with children is drawn as big as `size` even if they add up to less. */
  size: number;
  /** kind says what the box stands for, for styling and clicks. */
  kind: 'layer' | 'package' | 'folder' | 'files';
  /** key names the package a box belongs to (`debian:NAME`, `python:KEY`), for showing its chain. */
  key?: string;
  children?: SizeNode[];
}

/** Rect is an axis-aligned box. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Box is one laid-out node: where it goes, how deep it is, and the node. */
export interface Box extends Rect {
  depth: number;
  node: SizeNode;
  /** path is the names from the top (`layer 2/libpython3.11-stdlib/usr/lib`), for titles. */
  path: string[];
}

/** LayoutOptions: room kept inside a box with children, for its label and its border. */
export interface LayoutOptions {
  /** header is the height kept at the top of a box with children for its name. */
  header?: number;
  padding?: number;
  /** minSide is the smallest width and height a box's children are laid out in (smaller ones show only themselves). */
  minSide?: number;
}

// The worst aspect ratio of a row of areas laid along a side of length `side`.
function worst(row: readonly number[], side: number): number {
  const sum = row.reduce((a, b) => a + b, 0);
  const max = Math.max(...row);
  const min = Math.min(...row);
  return Math.max((side * side * max) / (sum * sum), (sum * sum) / (side * side * min));
}

/**
 * squarify places `values` (any order; they are laid out biggest first, and the result is in input order) in `rect`,
 * each with an area proportional to its value. Zero values get zero-area boxes at the far corner.
 */
export function squarify(values: readonly number[], rect: Rect): Rect[] {
  const out: Rect[] = values.map(() => ({ x: rect.x + rect.w, y: rect.y + rect.h, w: 0, h: 0 }));
  const total = values.reduce((a, b) => a + Math.max(0, b), 0);
  if (total <= 0 || rect.w <= 0 || rect.h <= 0) return out;
  const order = values.map((value, index) => ({ value, index })).filter(({ value }) => value > 0).sort((a, b) => b.value - a.value || a.index - b.index);
  const scale = (rect.w * rect.h) / total;
  const areas = order.map(({ value }) => value * scale);
  let free: Rect = { ...rect };
  let start = 0;
  while (start < areas.length) {
    const side = Math.min(free.w, free.h);
    let end = start + 1;
    while (end < areas.length && worst(areas.slice(start, end + 1), side) <= worst(areas.slice(start, end), side)) end++;
    const row = areas.slice(start, end);
    const sum = row.reduce((a, b) => a + b, 0);
    // The row fills a strip along the shorter side of what is left.
    if (free.w >= free.h) {
      const width = end === areas.length ? free.w : sum / free.h;
      let y = free.y;
      for (const [i, area] of row.entries()) {
        const height = i === row.length - 1 ? free.y + free.h - y : area / width;
        out[order[start + i]!.index] = { x: free.x, y, w: width, h: height };
        y += height;
      }
      free = { x: free.x + width, y: free.y, w: free.w - width, h: free.h };
    } else {
      const height = end === areas.length ? free.h : sum / free.w;
      let x = free.x;
      for (const [i, area] of row.entries()) {
        const width = i === row.length - 1 ? free.x + free.w - x : area / height;
        out[order[start + i]!.index] = { x, y: free.y, w: width, h: height };
        x += width;
      }
      free = { x: free.x, y: free.y + height, w: free.w, h: free.h - height };
    }
    start = end;
  }
  return out;
}

/**
 * layoutTree lays out the children of `root` in `rect`, then each child's children inside it (below its header),
 * and so on; it returns every box, parents before their children. The root itself is not a box.
 */
export function layoutTree(root: SizeNode, rect: Rect, options: LayoutOptions = {}): Box[] {
  const header = options.header ?? 14;
  const padding = options.padding ?? 2;
  const minSide = options.minSide ?? 24;
  const boxes: Box[] = [];
  const visit = (node: SizeNode, area: Rect, depth: number, path: string[]): void => {
    const children = node.children ?? [];
    if (children.length === 0) return;
    // Children add up to at most the node's size: what they leave is empty room (tar headers, links, whiteouts).
    const sizes = children.map((child) => child.size);
    const sum = sizes.reduce((a, b) => a + b, 0);
    const values = node.size > sum && depth > 0 ? [...sizes, node.size - sum] : sizes;
    const rects = squarify(values, area);
    for (const [i, child] of children.entries()) {
      const r = rects[i]!;
      const childPath = [...path, child.name];
      boxes.push({ ...r, depth, node: child, path: childPath });
      if (r.w >= minSide && r.h >= minSide + header) {
        visit(child, { x: r.x + padding, y: r.y + header, w: r.w - 2 * padding, h: r.h - header - padding }, depth + 1, childPath);
      }
    }
  };
  visit(root, rect, 0, []);
  return boxes;
}
