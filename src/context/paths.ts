// Every host path a plan holds, in one place: packing a context rewrites them relative to the context, and a
// pulled context rewrites them into the folder it was unpacked in. Outputs are not inputs and are left alone.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';
import type { BuildPlan, ImagePlan, Pins, PinnedPython, PinnedPythonPackage } from '../plan/types.js';
import { formatPlace, parsePlace } from '../places/place.js';

/** PathMap turns one host path into another (absolute to context-relative, or back). */
export type PathMap = (path: string) => string;

// find_links and package URLs may be folders, file: URLs or remote URLs: only the first two are host paths. A file:
// URL mapped to a relative path is written `file:tree/...` (a URL cannot be relative and absolute at once).
function mapLocation(location: string, map: PathMap): string {
  if (location.startsWith('file:')) {
    const mapped = map(location.startsWith('file://') ? fileURLToPath(location) : decodeURI(location.slice('file:'.length)));
    return isAbsolute(mapped) ? pathToFileURL(mapped).toString() : `file:${encodeURI(mapped)}`;
  }
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location) ? location : map(location);
}

function mapPlace(place: string, map: PathMap): string {
  const parsed = parsePlace(place);
  return parsed.transport === 'docker' ? place : formatPlace({ ...parsed, path: map(parsed.path) });
}

function mapPackage(pkg: PinnedPythonPackage, map: PathMap): PinnedPythonPackage {
  return {
    ...pkg,
    ...(pkg.url ? { url: mapLocation(pkg.url, map) } : {}),
    ...(pkg.source ? { source: { ...pkg.source, dir: map(pkg.source.dir) } } : {}),
  };
}

function mapPinnedPython(python: PinnedPython, map: PathMap): PinnedPython {
  return {
    ...python,
    lock: { ...python.lock, path: map(python.lock.path) },
    findLinks: python.findLinks.map((location) => mapLocation(location, map)),
    packages: python.packages.map((pkg) => mapPackage(pkg, map)),
  };
}

function mapPins(pins: Pins, map: PathMap): Pins {
  return {
    ...pins,
    ...(pins.base.kind === 'place' ? { base: { ...pins.base, place: mapPlace(pins.base.place, map) } } : {}),
    ...(pins.python ? { python: mapPinnedPython(pins.python, map) } : {}),
    ...(pins.app ? { app: { ...pins.app, dir: map(pins.app.dir) } } : {}),
  };
}

/** mapEntryPaths rewrites every input path of one entry: app, Python project, lock, find_links, local base, pins. */
export function mapEntryPaths(entry: ImagePlan, map: PathMap): ImagePlan {
  const python = entry.python;
  return {
    ...entry,
    ...(entry.base.kind === 'place' ? { base: { kind: 'place', place: mapPlace(entry.base.place, map) } } : {}),
    ...(entry.app ? { app: { ...entry.app, dir: map(entry.app.dir) } } : {}),
    ...(python ? {
      python: {
        ...python,
        project: map(python.project),
        ...(python.lock ? { lock: map(python.lock) } : {}),
        findLinks: python.findLinks.map((location) => mapLocation(location, map)),
      },
    } : {}),
    ...(entry.scan && entry.scan.ignorefile ? { scan: { ...entry.scan, ignorefile: map(entry.scan.ignorefile) } } : {}),
    ...(entry.pinned ? { pinned: mapPins(entry.pinned, map) } : {}),
    // A multi-platform entry's pins are per platform.
    ...(entry.platforms ? { platforms: entry.platforms.map((part) => ({ ...part, ...(part.pinned ? { pinned: mapPins(part.pinned, map) } : {}) })) } : {}),
  };
}

/** mapPlanPaths rewrites the manifest's path, the synced sources' folders and every entry's input paths. */
export function mapPlanPaths(plan: BuildPlan, map: PathMap): BuildPlan {
  return {
    ...plan,
    manifestFile: map(plan.manifestFile),
    ...(plan.sources ? { sources: plan.sources.map((source) => ({ ...source, dir: map(source.dir) })) } : {}),
    images: plan.images.map((entry) => mapEntryPaths(entry, map)),
  };
}

/** planPaths lists every host path a plan's inputs name (each once, in order), for finding a common root. */
export function planPaths(plan: BuildPlan): string[] {
  const seen = new Set<string>();
  mapPlanPaths(plan, (path) => {
    if (isAbsolute(path)) seen.add(path);
    return path;
  });
  return [...seen];
}
