// The names of the Python layers an entry gets (their history comments), shared by planning (pin.ts), which
// assigns each package its layer, and building (image-layers.ts), which describes each layer.
/** LAYER_DEPENDENCIES, LAYER_PATH_DEPENDENCIES and LAYER_PROJECT name the Python layers (history comments). */
export const LAYER_DEPENDENCIES = 'python dependencies';
export const LAYER_PATH_DEPENDENCIES = 'python path dependencies';
export const LAYER_PROJECT = 'python project';

/** splitLayer names the layer of a package `python.split` gives its own. */
export function splitLayer(name: string): string {
  return `python package ${name}`;
}
