// Immutable operations on images: each returns a new Image and leaves its input untouched.
import { imageFromParts, type Image } from './image.js';
import { ociLayerMediaType, type Layer } from './layer.js';
import type { HistoryEntry, ImageConfig, RuntimeConfig } from './spec.js';

/** Addendum is one layer to append together with the history entry that explains it. */
export interface Addendum {
  layer: Layer;
  history?: HistoryEntry;
}

function asOciLayer(layer: Layer): Layer {
  const mediaType = ociLayerMediaType(layer.mediaType);
  return mediaType === layer.mediaType ? layer : { ...layer, mediaType };
}

/**
 * consistentHistory gives every layer a history entry: a base without history (or with too few entries)
 * would otherwise yield an image whose non-empty history count differs from its layer count, which
 * validators reject. Missing entries are assumed to be the bottom layers'.
 */
function consistentHistory(config: ImageConfig, layerCount: number): void {
  const history = config.history ?? [];
  const missing = layerCount - history.filter((entry) => !entry.empty_layer).length;
  if (missing <= 0) return;
  const filler: HistoryEntry = { ...(config.created ? { created: config.created } : {}), created_by: 'kiln: base layer without a history entry', comment: 'base layer' };
  config.history = [...Array.from({ length: missing }, () => ({ ...filler })), ...history];
}

async function baseParts(base: Image): Promise<{ config: ImageConfig; layers: Layer[]; annotations?: Record<string, string> }> {
  const config = structuredClone(await base.config());
  const layers = (await base.layers()).map(asOciLayer);
  consistentHistory(config, layers.length);
  return { config, layers };
}

/** appendLayers returns base with layers added on top; diff_ids and history follow. */
export async function appendLayers(base: Image, ...additions: Addendum[]): Promise<Image> {
  const { config, layers } = await baseParts(base);
  for (const { layer, history } of additions) {
    layers.push(layer);
    config.rootfs.diff_ids.push(await layer.diffId());
    // A layer without an explanation still needs its history entry, or the counts disagree.
    (config.history ??= []).push(history ?? { created_by: 'kiln: layer' });
  }
  return imageFromParts({ config, layers });
}

/** ConfigEdit changes a copy of the config in place. */
export type ConfigEdit = (config: ImageConfig) => void;

/** withConfig returns an image whose config is edited by `edit`; the layers are shared. */
export async function withConfig(image: Image, edit: ConfigEdit, annotations?: Record<string, string>): Promise<Image> {
  const { config, layers } = await baseParts(image);
  edit(config);
  const existing = (await image.manifest()).annotations;
  return imageFromParts({ config, layers, annotations: { ...existing, ...annotations } });
}

/** withRuntimeConfig merges fields into the runtime `config` section. */
export function withRuntimeConfig(image: Image, fields: RuntimeConfig, annotations?: Record<string, string>): Promise<Image> {
  return withConfig(image, (config) => {
    config.config = { ...config.config, ...fields };
  }, annotations);
}

/** emptyImage is an image with no layers for the given platform, the start of a from-scratch build. */
export function emptyImage(platform: { os: string; architecture: string; variant?: string } = { os: 'linux', architecture: 'amd64' }): Image {
  return imageFromParts({
    config: {
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: {},
      rootfs: { type: 'layers', diff_ids: [] },
      history: [],
    },
    layers: [],
  });
}
