/**
 * Container logs for `amahictl logs`: finds an app's containers by label and copies their logs,
 * demultiplexing the engine's stdout/stderr frames, optionally following them.
 */
import type Docker from 'dockerode';
import { LABELS, instanceFilter } from '../core/names.js';
import { toDockerError } from './docker-errors.js';

export interface LogOptions {
  readonly follow: boolean;
  /** Seconds since the epoch; only lines after it. */
  readonly since?: number | undefined;
  /** Lines from the end; undefined for all. */
  readonly tail?: number | undefined;
  readonly timestamps?: boolean;
  readonly signal?: AbortSignal;
}

export interface LogSink {
  write(stream: 'stdout' | 'stderr', text: string): void;
}

export interface AppContainerRef {
  readonly id: string;
  readonly key: string;
  readonly name: string;
}

export async function appContainers(docker: Docker, instance: string, app: string): Promise<AppContainerRef[]> {
  try {
    const list = await docker.listContainers({ all: true, filters: { label: [...instanceFilter(instance), `${LABELS.app}=${app}`] } });
    return list
      .map((c) => ({ id: c.Id, key: c.Labels[LABELS.container] ?? '', name: (c.Names[0] ?? '').replace(/^\//, '') }))
      .filter((c) => c.key !== '' && !/_replaced_[0-9a-f]{12}$/.test(c.name))
      .sort((a, b) => a.key.localeCompare(b.key));
  } catch (error) {
    throw toDockerError(error, `cannot list the containers of ${app}`);
  }
}

/**
 * Splits the engine's multiplexed log format (8-byte header: stream type, 3 zero bytes, big-endian
 * payload length) into payloads. Containers with a TTY send raw text instead.
 */
export class FrameDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  constructor(private readonly onFrame: (stream: 'stdout' | 'stderr', payload: Buffer) => void, private readonly raw: boolean) {}

  push(chunk: Buffer): void {
    if (this.raw) {
      this.onFrame('stdout', chunk);
      return;
    }
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const type = this.pending[0] === 2 ? 'stderr' : 'stdout';
      this.onFrame(type, this.pending.subarray(8, 8 + size));
      this.pending = this.pending.subarray(8 + size);
    }
  }
}

export async function copyLogs(docker: Docker, container: AppContainerRef, options: LogOptions, sink: LogSink): Promise<void> {
  const handle = docker.getContainer(container.id);
  let tty: boolean;
  try {
    tty = (await handle.inspect()).Config?.Tty === true;
  } catch (error) {
    throw toDockerError(error, `cannot inspect ${container.name}`);
  }
  const demuxer = new FrameDemuxer((stream, payload) => sink.write(stream, payload.toString('utf8')), tty);
  const request = {
    stdout: true, stderr: true, timestamps: options.timestamps ?? false,
    ...(options.since !== undefined ? { since: options.since } : {}),
    ...(options.tail !== undefined ? { tail: options.tail } : {}),
    ...(options.signal ? { abortSignal: options.signal } : {}),
  };
  try {
    if (!options.follow) {
      const data = await handle.logs({ ...request, follow: false }) as unknown as Buffer | string;
      demuxer.push(Buffer.isBuffer(data) ? data : Buffer.from(data, 'binary'));
      return;
    }
    const stream = await handle.logs({ ...request, follow: true }) as unknown as NodeJS.ReadableStream;
    await new Promise<void>((resolve) => {
      stream.on('data', (chunk: Buffer) => demuxer.push(chunk));
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', resolve);
      options.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  } catch (error) {
    if (options.signal?.aborted) return;
    throw toDockerError(error, `cannot read the logs of ${container.name}`);
  }
}
