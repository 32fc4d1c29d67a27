/**
 * Image operations on the engine: pull (with progress) and local builds. Both stream JSON progress
 * lines; an `error` line, not only the HTTP status, marks a failure, and becomes a typed error.
 */
import type Docker from 'dockerode';
import tar from 'tar-fs';
import { DockerError } from '../errors.js';
import type { RuntimeOperation, ApplyOptions } from './types.js';

interface ProgressEvent {
  readonly status?: string;
  readonly id?: string;
  readonly stream?: string;
  readonly progressDetail?: { readonly current?: number; readonly total?: number };
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
}

/** Follows a progress stream to its end; rejects with the first error line, if any. */
function follow(docker: Docker, stream: NodeJS.ReadableStream, onEvent: (event: ProgressEvent) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let failure: string | undefined;
    docker.modem.followProgress(
      stream,
      (error: Error | null) => {
        if (failure !== undefined || error) reject(new Error(failure ?? error?.message ?? 'stream failed'));
        else resolve();
      },
      (event: ProgressEvent) => {
        if (event.error || event.errorDetail?.message) failure ??= event.errorDetail?.message ?? event.error;
        onEvent(event);
      },
    );
  });
}

export async function pullImage(docker: Docker, image: string, options: ApplyOptions): Promise<void> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(image);
  } catch (error) {
    // The engine answers a missing tag or an unreachable registry before streaming anything.
    throw new DockerError(`cannot pull ${image}: ${engineMessage(error)}`, { cause: error, code: 'E_IMAGE_PULL', statusCode: statusOf(error) });
  }
  try {
    await follow(docker, stream, (event) => {
      options.onProgress?.({ image, status: event.status ?? '', id: event.id, current: event.progressDetail?.current, total: event.progressDetail?.total });
    });
  } catch (error) {
    throw new DockerError(`cannot pull ${image}: ${(error as Error).message}`, { cause: error, code: 'E_IMAGE_PULL' });
  }
}

/** Builds the context into `op.image`, labelled; the last lines of the build output explain a failure. */
export async function buildImage(docker: Docker, op: Extract<RuntimeOperation, { kind: 'BuildImage' }>): Promise<void> {
  const tail: string[] = [];
  try {
    const stream = await docker.buildImage(tar.pack(op.context), {
      t: op.image, dockerfile: op.dockerfile, labels: { ...op.labels }, buildargs: { ...op.args }, rm: true, forcerm: true,
    });
    await follow(docker, stream, (event) => {
      for (const line of (event.stream ?? '').split('\n').map((l) => l.trim()).filter(Boolean)) {
        tail.push(line);
        if (tail.length > 5) tail.shift();
      }
    });
  } catch (error) {
    const output = tail.length > 0 ? ` (build output: ${tail.join(' | ')})` : '';
    throw new DockerError(`cannot build ${op.image} from ${op.context}: ${engineMessage(error)}${output}`, { cause: error, code: 'E_IMAGE_BUILD', statusCode: statusOf(error) });
  }
}

function engineMessage(error: unknown): string {
  const engine = error as { json?: { message?: string } | null; message?: string };
  const text = (engine.json && typeof engine.json === 'object' ? engine.json.message : undefined) ?? engine.message ?? String(error);
  return text.replace(/^\(HTTP code \d+\) [a-z ]+ - /, '').trim();
}

const statusOf = (error: unknown): number | undefined => (error as { statusCode?: number }).statusCode;
