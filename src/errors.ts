/**
 * Typed errors with stable codes. Every error the controller raises or reports is one of these, so
 * that status, logs, metrics and the CLI can key on `code` rather than on message text.
 */
export type ErrorCode =
  | 'E_SPEC_INVALID'
  | 'E_CONFIG_INVALID'
  | 'E_PORT_CONFLICT'
  | 'E_HOSTNAME_CONFLICT'
  | 'E_NAME_CONFLICT'
  | 'E_IMAGE_PULL'
  | 'E_IMAGE_BUILD'
  | 'E_DOCKER'
  | 'E_DOCKER_UNAVAILABLE'
  | 'E_PROXY_CONFIG_INVALID'
  | 'E_PROXY_RELOAD'
  | 'E_PROXY_WRITE'
  | 'E_STATE_WRITE'
  | 'E_PRUNE_REFUSED'
  | 'E_SPECS_UNREADABLE'
  | 'E_LOCK_HELD'
  | 'E_NOT_FOUND'
  | 'E_UNAUTHORIZED'
  | 'E_IMPORT'
  | 'E_UPDATE_FAILED'
  | 'E_INTERNAL';

export class AmahiError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** One problem in one spec file, located precisely enough for an editor to jump to it. */
export interface SpecProblem {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Field path such as `spec.containers.web.ports[1]`; empty for file-level problems. */
  readonly path: string;
  readonly message: string;
}

export function formatProblem(problem: SpecProblem): string {
  const where = `${problem.file}:${problem.line}:${problem.col}`;
  return problem.path ? `${where}: ${problem.path}: ${problem.message}` : `${where}: ${problem.message}`;
}

export class SpecInvalidError extends AmahiError {
  readonly problems: readonly SpecProblem[];
  constructor(problems: readonly SpecProblem[], options?: { cause?: unknown }) {
    super('E_SPEC_INVALID', problems.map(formatProblem).join('\n') || 'invalid spec', options);
    this.problems = problems;
  }
}

export class ConfigInvalidError extends AmahiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_CONFIG_INVALID', message, options);
  }
}

export class DockerError extends AmahiError {
  readonly statusCode: number | undefined;
  constructor(message: string, options?: { cause?: unknown; statusCode?: number; code?: ErrorCode }) {
    super(options?.code ?? 'E_DOCKER', message, options);
    this.statusCode = options?.statusCode;
  }
}

export class ProxyConfigInvalidError extends AmahiError {
  /** What the proxy's config test printed: the user needs it verbatim to fix the cause. */
  readonly testOutput: string;
  constructor(message: string, testOutput: string, options?: { cause?: unknown }) {
    super('E_PROXY_CONFIG_INVALID', message, options);
    this.testOutput = testOutput;
  }
}

/** Wraps anything thrown into an AmahiError, keeping the original as the cause. */
export function asAmahiError(error: unknown, fallback: ErrorCode = 'E_INTERNAL'): AmahiError {
  if (error instanceof AmahiError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AmahiError(fallback, message, { cause: error });
}
