// Validation of emitted workflows against the vendored published schemas (src/workflow/schema), for tests.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv, type ValidateFunction } from 'ajv';

function load(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../workflow/schema/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

// Kubernetes rejects unknown fields (kubectl's strict field validation), but the generated schema leaves objects open:
// closing every object that lists its properties makes a misspelt field fail here as it would on apply.
function closeObjects(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(closeObjects);
  if (!node || typeof node !== 'object') return;
  const object = node as Record<string, unknown>;
  if (object.properties && typeof object.properties === 'object' && object.additionalProperties === undefined) object.additionalProperties = false;
  for (const value of Object.values(object)) closeObjects(value);
}

function errorsOf(validate: ValidateFunction, document: unknown): string[] {
  if (validate(document)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'}: ${error.message ?? error.keyword}${error.params && 'additionalProperty' in error.params ? ` (${String(error.params.additionalProperty)})` : ''}`);
}

let argo: Ajv2020 | undefined;
let argoSchema: Record<string, unknown> | undefined;
const argoKinds = new Map<string, ValidateFunction>();
let github: ValidateFunction | undefined;

/** argoSchemaErrors lists where a document breaks Argo v3.6.19's schema with objects closed, or is empty when valid. */
export function argoSchemaErrors(document: unknown): string[] {
  const schema = (argoSchema ??= load('argo-workflows-v3.6.19.schema.json'));
  if (!argo) {
    closeObjects(schema.definitions);
    argo = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
    argo.addSchema(schema);
  }
  // The schema's root is a oneOf over every kind: validating against the document's own kind gives errors that point.
  const kind = String((document as { kind?: unknown })?.kind);
  if (!['Workflow', 'WorkflowTemplate'].includes(kind)) return [`/kind: "${kind}" is not Workflow or WorkflowTemplate`];
  let validate = argoKinds.get(kind);
  if (!validate) argoKinds.set(kind, (validate = argo.compile({ $ref: `${String(schema.$id)}#/definitions/io.argoproj.workflow.v1alpha1.${kind}` })));
  return errorsOf(validate, document);
}

/** githubSchemaErrors lists where a document breaks SchemaStore's github-workflow schema, or is empty when valid. */
export function githubSchemaErrors(document: unknown): string[] {
  github ??= new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(load('github-workflow.schema.json'));
  return errorsOf(github, document);
}
