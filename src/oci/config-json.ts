// The bytes of an image config, laid out as Go's encoding/json writes the OCI image-spec structs: Go tools
// (skopeo copying to oci:, containerd, umoci) decode a config into those structs and encode it again, so a
// config already in that form keeps its digest when they do.
import type { ImageConfig } from './spec.js';
import { canonicalTimestamp } from './timestamp.js';

type Json = unknown;
type Field = [key: string, omitEmpty: boolean, transform?: (value: Json) => Json];

// Field order of the image-spec v1.1 structs (Image with its embedded Platform, ImageConfig, RootFS, History).
const IMAGE: Field[] = [['created', true, time], ['author', true], ['architecture', false], ['os', false], ['os.version', true], ['os.features', true], ['variant', true], ['config', false, runtime], ['rootfs', false, rootfs], ['history', true, history]];
const RUNTIME: Field[] = [['User', true], ['ExposedPorts', true, sortedKeys], ['Env', true], ['Entrypoint', true], ['Cmd', true], ['Volumes', true, sortedKeys], ['WorkingDir', true], ['Labels', true, sortedKeys], ['StopSignal', true], ['ArgsEscaped', true]];
const ROOTFS: Field[] = [['type', false], ['diff_ids', false]];
const HISTORY: Field[] = [['created', true, time], ['created_by', true], ['author', true], ['comment', true], ['empty_layer', true]];

// omitempty drops false, 0, "", null and empty arrays and maps.
function isEmpty(value: Json): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value as object).length === 0;
}

function time(value: Json): Json {
  return typeof value === 'string' ? canonicalTimestamp(value) : value;
}

// Go writes map keys sorted (by bytes; kiln's keys are ASCII, where that is code-unit order).
function sortedKeys(value: Json): Json {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function ordered(value: Json, fields: Field[]): Json {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const source = value as Record<string, Json>;
  const out: Record<string, Json> = {};
  for (const [key, omitEmpty, transform] of fields) {
    const field = source[key];
    if (omitEmpty ? isEmpty(field) : field === undefined) continue;
    out[key] = transform ? transform(field) : field;
  }
  // Fields the spec does not define (Docker's Healthcheck, container_config, ...) are kept, after the known ones.
  for (const [key, field] of Object.entries(source)) if (!fields.some(([known]) => known === key) && field !== undefined) out[key] = field;
  return out;
}

function runtime(value: Json): Json {
  return ordered(value ?? {}, RUNTIME);
}

function rootfs(value: Json): Json {
  return ordered(value, ROOTFS);
}

function history(value: Json): Json {
  return Array.isArray(value) ? value.map((entry) => ordered(entry, HISTORY)) : value;
}

// Go's encoder escapes these inside strings; outside strings they cannot occur in JSON text.
const GO_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/** serializeConfig gives the bytes kiln writes for an image config: Go's field order, omissions, time form and escapes. */
export function serializeConfig(config: ImageConfig): Buffer {
  const text = JSON.stringify(ordered({ ...config, config: config.config ?? {} }, IMAGE));
  return Buffer.from(text.replace(/[<>&\u2028\u2029]/g, (char) => GO_ESCAPES[char]!));
}
