// The shape of a corpus case: case.json (what to run and what must happen) and an optional setup.ts
// (inputs that cannot be static files: signed mirrors, servers, generated wheels and archives).

/** CaseSpec is a case.json. Strings in args, env, absent and kiln.yaml may use {{dir}}, {{shared}} and setup vars. */
export interface CaseSpec {
  /** description says what input is bad and why kiln must refuse it. */
  description: string;
  /** args follow `kiln`; the working directory is the case's temp copy. */
  args: string[];
  /** exit is the expected exit code: 1 for bad input, 2 for usage errors, 0 for positive controls. */
  exit: number;
  /** stderr is a regex the single stderr line must match (required unless exit is 0, where stderr must be empty). */
  stderr?: string;
  /** absent lists paths (relative to the case copy) that must not exist afterwards, nor any `*.tmp-*` beside them. */
  absent?: string[];
  /** present lists paths that must exist afterwards (positive controls). */
  present?: string[];
  /** secrets must appear in neither stdout nor stderr. */
  secrets?: string[];
  env?: Record<string, string>;
  /** timeout in seconds before kiln is killed and the case fails (default 30). */
  timeout?: number;
}

/** CaseContext is what a setup gets: the case's temp copy and the shared inputs folder. */
export interface CaseContext {
  dir: string;
  shared: string;
}

/** CaseSetup is what a setup may return: placeholder values, environment, and a cleanup for servers it started. */
export interface CaseSetup {
  vars?: Record<string, string>;
  env?: Record<string, string>;
  close?: () => Promise<void>;
}

/** SetupFunction is the default export of a case's setup.ts. */
export type SetupFunction = (context: CaseContext) => Promise<CaseSetup | void>;
