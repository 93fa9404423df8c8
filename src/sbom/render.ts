// One dispatch from an SBOM format name to the writer that renders an Inventory in it, so plans and images,
// and every command that writes SBOMs, offer the same formats.
import { UsageError } from '../errors.js';
import { cycloneDxFromInventory } from './cyclonedx.js';
import { spdxFromInventory } from './spdx.js';
import type { Inventory } from './inventory.js';

/** SbomOptions are the choices an SBOM writer takes besides the inventory. */
export interface SbomOptions {
  /** epoch is the document's timestamp in seconds (SOURCE_DATE_EPOCH, or an image's created time). */
  epoch: number;
  /** toolVersion is kiln's version, which SPDX names as the document's creator. */
  toolVersion: string;
}

/** SBOM_FORMATS maps each `--format` name to its writer; every writer is deterministic (same inventory, same bytes). */
export const SBOM_FORMATS: Readonly<Record<string, (inventory: Inventory, options: SbomOptions) => string>> = {
  cyclonedx: cycloneDxFromInventory,
  spdx: spdxFromInventory,
};

/** checkSbomFormat throws a UsageError for a format kiln does not write, naming the ones it does. */
export function checkSbomFormat(format: string): void {
  if (!Object.hasOwn(SBOM_FORMATS, format)) {
    throw new UsageError(`--format ${format} is not one kiln writes yet: use ${Object.keys(SBOM_FORMATS).join(', ')}`);
  }
}

/** renderSbom writes the inventory in the named format. */
export function renderSbom(format: string, inventory: Inventory, options: SbomOptions): string {
  checkSbomFormat(format);
  return SBOM_FORMATS[format]!(inventory, options);
}
