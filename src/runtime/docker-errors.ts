/** Engine errors as typed DockerErrors with the code a status or a retry policy can key on. */
import { AmahiError, DockerError, type ErrorCode } from '../errors.js';

interface EngineError {
  statusCode?: number;
  code?: string;
  message?: string;
  json?: { message?: string } | null;
  reason?: string;
}

function engineMessage(error: EngineError): string {
  const fromJson = error.json && typeof error.json === 'object' ? error.json.message : undefined;
  return (fromJson ?? error.message ?? String(error)).replace(/^\(HTTP code \d+\) [a-z ]+ - /, '').trim();
}

export function toDockerError(error: unknown, context: string, operation?: string): AmahiError {
  if (error instanceof AmahiError) return error;
  const engine = (error ?? {}) as EngineError;
  const message = engineMessage(engine);
  let code: ErrorCode = 'E_DOCKER';
  if (['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE'].includes(engine.code ?? '')) code = 'E_DOCKER_UNAVAILABLE';
  else if (/port is already allocated|address already in use/i.test(message)) code = 'E_PORT_CONFLICT';
  else if (operation === 'PullImage' || /pull access denied|manifest unknown|not found: manifest|manifest for .* not found/i.test(message)) code = 'E_IMAGE_PULL';
  else if (operation === 'BuildImage') code = 'E_IMAGE_BUILD';
  else if (engine.statusCode === 409 && /already in use by container/i.test(message)) code = 'E_NAME_CONFLICT';
  return new DockerError(`${context}: ${message}`, { cause: error, statusCode: engine.statusCode, code });
}
