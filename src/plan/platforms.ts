// Platforms of a plan entry: parsing `os/arch[/variant]`, and splitting a multi-platform entry into one
// single-platform entry per platform, which is what builders, SBOMs and scans consume.
import type { ImagePlan, PlatformSpec } from './types.js';

/** parsePlatform reads `os/arch[/variant]` (already validated by the kiln.yaml schema). */
export function parsePlatform(text: string): PlatformSpec {
  const [os, architecture, variant] = text.split('/');
  return { os: os!, architecture: architecture!, ...(variant ? { variant } : {}) };
}

/** formatPlatform writes a platform as `os/arch[/variant]`. */
export function formatPlatform(platform: PlatformSpec): string {
  return `${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''}`;
}

/** isMultiPlatform: the entry builds an image index (two or more platforms). */
export function isMultiPlatform(entry: ImagePlan): boolean {
  return (entry.platforms?.length ?? 0) > 1;
}

/**
 * platformEntries splits an entry into one single-platform entry per platform, each with that platform's pins;
 * a single-platform entry is returned as it is. The split entries share the name, tags and outputs.
 */
export function platformEntries(entry: ImagePlan): ImagePlan[] {
  if (!entry.platforms) return [entry];
  return entry.platforms.map(({ platform, pinned }) => {
    const { platforms: _platforms, pinned: _pinned, ...rest } = entry;
    return { ...rest, platform, ...(pinned ? { pinned } : {}) };
  });
}

/**
 * platformLockName is the kiln.lock key of one platform's distro base in a multi-platform entry (`server@arm64`);
 * a single-platform entry's base is locked under the entry name.
 */
export function platformLockName(name: string, platform: PlatformSpec): string {
  return `${name}@${platform.architecture}${platform.variant ? `-${platform.variant}` : ''}`;
}
