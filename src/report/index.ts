// kiln report: a manifest's entries as one self-contained HTML page: gather the data (plan, last builds, history,
// scans), lay out the treemap, render the page.
export { entryImage, gatherReport, sizeTree, type EntryImage, type EntryReport, type GatherOptions, type ReportData, type ReportLayer, type ReportPackage } from './gather.js';
export { fileOwners, packageKey } from './owners.js';
export { escapeHtml, historyChart, renderReport, scriptJson } from './render.js';
export { layoutTree, squarify, type Box, type Rect, type SizeNode } from './treemap.js';
