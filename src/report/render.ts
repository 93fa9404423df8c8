// renderReport: ReportData in, one self-contained HTML page out (inline CSS, SVG and a little hand-written script;
// nothing is fetched when it is viewed). Pure: the same data gives the same bytes. Every text from the data is escaped.
import { bytes } from '../inspect/format.js';
import type { HistoryEntry } from '../cache/build-records.js';
import type { EntryImage, EntryReport, ReportData, ReportPackage } from './gather.js';
import { layoutTree, type Box } from './treemap.js';
import { CLIENT_SCRIPT, STYLE } from './page-assets.js';

/** TREEMAP_SIZE is the treemap's drawing size in SVG units (it scales to the page width). */
export const TREEMAP_SIZE = { width: 960, height: 520 };
const BIGGEST = 12;

/** escapeHtml makes text safe inside HTML text and double- or single-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** scriptJson serializes data for a `<script type="application/json">`: no `</script>`, no `<!--`, no line separators. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const h = escapeHtml;

function fixed(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function table(head: string[], rows: string[][], className = ''): string {
  return `<table${className ? ` class="${className}"` : ''}><thead><tr>${head.map((cell) => `<th>${cell}</th>`).join('')}</tr></thead><tbody>${rows.map((row) => `<tr>${row.join('')}</tr>`).join('')}</tbody></table>`;
}

function td(text: string, className = ''): string {
  return `<td${className ? ` class="${className}"` : ''}>${h(text)}</td>`;
}

function packageCell(pkg: ReportPackage): string {
  return `<td><button type="button" class="pkg" data-pkg="${h(pkg.key)}">${h(pkg.name)}</button></td>`;
}

// Label text fits a box when it is roughly 6.5 units a character at the label size.
function label(text: string, width: number): string | undefined {
  const room = Math.floor((width - 6) / 6.5);
  if (room < 3) return undefined;
  return text.length > room ? `${text.slice(0, room - 1)}…` : text;
}

function hue(layer: number): number {
  return (layer * 67 + 200) % 360;
}

// A box's group holds its children's groups, so a click anywhere in a package (its folders too) lands in it.
function treemapBox(box: Box, layer: number, inner: string): string {
  const { node } = box;
  const attrs = [
    node.kind === 'layer' ? `data-layer="${layer}"` : '',
    node.key ? `data-pkg="${h(node.key)}"` : '',
    `class="box ${node.kind} d${box.depth}"`,
  ].filter(Boolean).join(' ');
  const light = Math.max(45, 88 - box.depth * 13);
  const fill = `hsl(${hue(layer)} 55% ${light}%)`;
  const title = `${box.path.join(' / ')}: ${bytes(node.size)}`;
  const text = label(node.kind === 'layer' ? `${node.name} · ${bytes(node.size)}` : node.name, box.w);
  const showText = text !== undefined && box.h >= 13;
  return `<g ${attrs}><title>${h(title)}</title><rect x="${fixed(box.x)}" y="${fixed(box.y)}" width="${fixed(box.w)}" height="${fixed(box.h)}" fill="${fill}"/>${showText ? `<text x="${fixed(box.x + 3)}" y="${fixed(box.y + 11)}">${h(text)}</text>` : ''}${inner}</g>`;
}

function treemap(image: EntryImage): string {
  const { width, height } = TREEMAP_SIZE;
  const boxes = layoutTree(image.tree, { x: 0, y: 0, w: width, h: height });
  // layoutTree lists boxes depth first, parents before children: the boxes after one, deeper than it, are inside it.
  let next = 0;
  let layer = -1;
  const draw = (depth: number): string => {
    let out = '';
    while (next < boxes.length && boxes[next]!.depth === depth) {
      const box = boxes[next++]!;
      if (depth === 0) layer++;
      out += treemapBox(box, layer, draw(depth + 1));
    }
    return out;
  };
  return `<svg class="treemap" viewBox="0 0 ${width} ${height}" role="img" aria-label="size treemap: layers, packages, folders">${draw(0)}</svg>`;
}

function chainText(pkg: ReportPackage): string {
  if (pkg.requested) return 'requested in kiln.yaml';
  if (pkg.root && (pkg.chains[0]?.length ?? 0) <= 1) return 'nothing installed depends on it';
  return pkg.chains[0]?.join(' → ') ?? '';
}

function imageSections(image: EntryImage): string {
  const debs = image.packages.filter((pkg) => pkg.ecosystem === 'debian');
  const python = image.packages.filter((pkg) => pkg.ecosystem === 'python');
  const biggest = [...image.packages].sort((a, b) => b.size - a.size || (a.name < b.name ? -1 : 1)).slice(0, BIGGEST);
  const sum = (list: ReportPackage[]): number => list.reduce((total, pkg) => total + pkg.size, 0);
  const layerRows = image.layers.map((layer, i) => [td(String(i), 'num'), td(layer.digest.slice(7, 19), 'mono'), td(bytes(layer.size), 'num'), td(bytes(layer.uncompressedSize), 'num'), td(String(layer.files), 'num'), td(layer.holds, 'holds')]);
  const packageRows = (list: ReportPackage[], python: boolean): string[][] => list.map((pkg) => [
    packageCell(pkg), td(pkg.version, 'mono'), td(bytes(pkg.size), 'num'), td(pkg.layer === undefined ? '' : String(pkg.layer), 'num'),
    ...(python ? [td(pkg.location ?? '', 'mono')] : []),
  ]);
  return [
    '<div class="map">',
    treemap(image),
    '<aside class="chain" aria-live="polite"><p class="hint">Click a package (in the treemap or a table) to see why it is in the image.</p></aside>',
    '</div>',
    '<h3>Layers</h3>',
    table(['#', 'digest', 'compressed', 'unpacked', 'files', 'holds'], layerRows),
    '<h3>Biggest packages</h3>',
    table(['package', 'ecosystem', 'installed', 'removing it saves', 'why'], biggest.map((pkg) => [
      packageCell(pkg), td(pkg.ecosystem), td(bytes(pkg.size), 'num'), td(`${bytes(pkg.saves)}${pkg.exclusive > 1 ? ` (${pkg.exclusive} packages)` : ''}`, 'num'), td(chainText(pkg), 'why'),
    ])),
    `<details${debs.length <= 40 ? ' open' : ''}><summary><h3>Debian packages (${debs.length}, ${h(bytes(sum(debs)))} installed)</h3></summary>`,
    debs.length ? table(['package', 'version', 'installed', 'layer'], packageRows(debs, false), 'packages debian') : '<p>none</p>',
    '</details>',
    `<details open><summary><h3>Python packages (${python.length}, ${h(bytes(sum(python)))} installed)</h3></summary>`,
    python.length ? table(['package', 'version', 'installed', 'layer', 'location'], packageRows(python, true), 'packages python') : '<p>none</p>',
    '</details>',
  ].join('\n');
}

function destinations(entry: EntryReport): string {
  const lines = [
    `<p>tags: ${entry.tags.length ? entry.tags.map((tag) => `<code>${h(tag)}</code>`).join(' ') : 'none'}${entry.immutableTags ? ' (immutable)' : ''}${entry.publish ? '' : ' · not published'}</p>`,
  ];
  const rows = [
    ...entry.outputs.map((output) => [td('output'), td(output, 'mono'), td('')]),
    ...entry.destinations.flatMap((d) => d.references.map((reference) => [td(d.registry), td(reference, 'mono'), td(d.skipped ? `skipped: ${d.skipped}` : '')])),
  ];
  if (rows.length) lines.push(table(['where', 'reference', ''], rows));
  return lines.join('\n');
}

function scanSection(entry: EntryReport): string {
  const scan = entry.scan;
  if (!scan) return '<p class="not-scanned">not scanned (kiln scan DIR records each entry\'s findings)</p>';
  const filters = [scan.filters.severities ? `severity ${scan.filters.severities.join(',')}` : '', scan.filters.ignoreUnfixed ? 'fixed only' : ''].filter(Boolean).join(', ');
  const counts = new Map<string, number>();
  for (const finding of scan.findings) counts.set(finding.severity, (counts.get(finding.severity) ?? 0) + 1);
  const summary = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'].map((severity) => `${severity}: ${counts.get(severity) ?? 0}`).join(', ');
  const head = `<p>scanned ${h(scan.time)} against ${h(scan.database)}${filters ? ` (${h(filters)})` : ''}: ${scan.packages} packages, ${scan.findings.length} findings (${summary})${scan.ignored ? `, ${scan.ignored} ignored` : ''}${scan.filtered ? `, ${scan.filtered} filtered out` : ''}</p>`;
  if (scan.findings.length === 0) return head;
  return head + table(['vulnerability', 'severity', 'package', 'installed', 'fixed', 'title'], scan.findings.map((finding) => [
    td(finding.id, 'mono'), td(finding.severity, `sev ${finding.severity.toLowerCase()}`), td(finding.package), td(finding.installed, 'mono'), td(finding.fixed ?? '(unfixed)', 'mono'), td(finding.summary ?? ''),
  ]));
}

/** historyChart draws the builds' compressed sizes and times as two small bar charts (oldest on the left). */
export function historyChart(history: readonly HistoryEntry[]): string {
  if (history.length === 0) return '<p>no builds recorded yet (kiln build records each one)</p>';
  const chart = (title: string, values: number[], format: (value: number) => string, className: string): string => {
    const width = 440;
    const height = 120;
    const top = 18;
    const bottom = 16;
    const max = Math.max(...values) || 1;
    const step = width / values.length;
    const bars = values.map((value, i) => {
      const barHeight = ((height - top - bottom) * value) / max;
      const entry = history[i]!;
      const tip = `${entry.time}  ${entry.digest.slice(0, 19)}  ${bytes(entry.size)} compressed, ${bytes(entry.unpackedSize)} unpacked, ${fixed(entry.seconds)} s`;
      const barWidth = Math.max(1, Math.min(28, step * 0.7));
      return `<rect class="${className}" x="${fixed(i * step + (step - barWidth) / 2)}" y="${fixed(height - bottom - barHeight)}" width="${fixed(barWidth)}" height="${fixed(barHeight)}"><title>${h(tip)}</title></rect>`;
    }).join('');
    const first = history[0]!.time.slice(0, 16).replace('T', ' ');
    const last = history.at(-1)!.time.slice(0, 16).replace('T', ' ');
    return `<svg class="history" viewBox="0 0 ${width} ${height}" role="img" aria-label="${h(title)}"><text x="0" y="12">${h(title)} (max ${h(format(max))})</text>${bars}<text x="0" y="${height - 3}">${h(first)}</text><text x="${width}" y="${height - 3}" text-anchor="end">${h(last)}</text></svg>`;
  };
  return `<div class="charts">${chart('compressed size per build', history.map((entry) => entry.size), bytes, 'size')}${chart('seconds per build', history.map((entry) => entry.seconds), (value) => `${fixed(value)} s`, 'time')}</div><p class="small">${history.length} build${history.length === 1 ? '' : 's'} recorded</p>`;
}

// One block per image of an entry (a multi-platform entry has one per platform); `view` numbers them across the
// page, as the script's data does.
function imageView(image: EntryImage, view: number, heading: boolean): string {
  return [
    `<div class="view" data-view="${view}">`,
    ...(heading ? [`<h3 class="platform">${h(image.platform)}</h3>`] : []),
    `<p class="meta"><code>${h(image.digest)}</code> · ${h(image.platform)}${image.os ? ` · ${h(image.os)}` : ''} · ${h(bytes(image.size))} compressed, ${h(bytes(image.unpackedSize))} unpacked · ${image.layers.length} layers · ${image.packages.length} packages</p>`,
    imageSections(image),
    '</div>',
  ].join('\n');
}

function entrySection(entry: EntryReport, index: number, firstView: number): string {
  const several = entry.images.length > 1;
  const body = entry.images.length
    ? [
      ...(several ? [`<p class="meta">image index <code>${h(entry.digest ?? '')}</code> · ${entry.images.length} platforms: ${h(entry.images.map((image) => image.platform).join(', '))}</p>`] : []),
      ...entry.images.map((image, i) => imageView(image, firstView + i, several)),
    ]
    : [`<p class="not-built">${h(entry.notBuilt ?? 'not built')}</p>`];
  return [
    `<section class="entry" id="entry-${index}">`,
    `<h2>${h(entry.name)}</h2>`,
    ...body,
    '<h3>Tags and destinations</h3>',
    destinations(entry),
    '<h3>Vulnerabilities</h3>',
    scanSection(entry),
    '<h3>Build history</h3>',
    historyChart(entry.history),
    '</section>',
  ].join('\n');
}

// What the script needs to show a chain: per image view (entries' images in page order), each package's why by key.
function clientData(data: ReportData): unknown {
  return data.entries.flatMap((entry) => entry.images).map((image) => Object.fromEntries(image.packages.map((pkg) => [pkg.key, {
    name: pkg.name, version: pkg.version, ecosystem: pkg.ecosystem, size: bytes(pkg.size), saves: bytes(pkg.saves), exclusive: pkg.exclusive,
    root: pkg.root, requested: pkg.requested, requiredBy: pkg.requiredBy, chains: pkg.chains,
  }])));
}

/** renderReport renders the whole page. */
export function renderReport(data: ReportData): string {
  const built = data.entries.filter((entry) => entry.images.length).length;
  const firstViews = data.entries.reduce<number[]>((starts, entry, i) => [...starts, i ? starts[i - 1]! + data.entries[i - 1]!.images.length : 0], []);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // No network at view time: the policy forbids anything but what the page carries inline.
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; script-src \'unsafe-inline\'; img-src data:">',
    `<title>kiln report: ${h(data.manifestFile)}</title>`,
    `<style>${STYLE}</style>`,
    '</head><body>',
    `<header><h1>kiln report</h1><p>${h(data.manifestFile)} · ${data.entries.length} entr${data.entries.length === 1 ? 'y' : 'ies'}, ${built} built · generated ${h(data.generated)}${data.kilnVersion ? ` by kiln ${h(data.kilnVersion)}` : ''}</p>`,
    `<nav>${data.entries.map((entry, i) => `<a href="#entry-${i}">${h(entry.name)}</a>${entry.images.length ? '' : ' <span class="not-built">(not built)</span>'}`).join(' · ')}</nav></header>`,
    '<main>',
    ...data.entries.map((entry, i) => entrySection(entry, i, firstViews[i]!)),
    '</main>',
    `<script type="application/json" id="kiln-data">${scriptJson(clientData(data))}</script>`,
    `<script>${CLIENT_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
