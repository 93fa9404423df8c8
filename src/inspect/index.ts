// See inside an image: what it holds (inspect), why a package is there (why), what changed between two (diff).
export { readImageFiles, topFolders, type ImageFile, type ImageFiles, type LayerFiles } from './image-files.js';
export { imagePackages, type DebPackage, type ImagePackages, type PythonDist } from './packages.js';
export { inspectImage, type ImageSummary, type LayerSummary, type ReadImage } from './image-summary.js';
export { closeNames, debianGraph, explain, pythonGraph, shortestChains, why, type PackageGraph, type WhyResult } from './why.js';
export { diffImages, type ImageDiff, type FileChange, type ConfigChange, type PackageChanges } from './diff.js';
export { formatDiff, formatSummary, formatWhy } from './format.js';
