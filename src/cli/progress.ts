/**
 * Image pull progress for people. On a terminal: one line per image, rewritten in place, with the
 * bytes and layers done so far. Elsewhere (logs, CI): one line per step that matters (start, each
 * layer done, the final digest and status), never one per progress tick.
 */
import type { PullProgress } from '../runtime/types.js';
import { formatBytes } from '../core/units.js';

interface Layer {
  current: number;
  total: number;
  done: boolean;
}

const LAYER_DONE = /^(Pull complete|Already exists)$/;

export function pullReporter(stream: NodeJS.WriteStream): (progress: PullProgress) => void {
  const images = new Map<string, Map<string, Layer>>();
  const tty = stream.isTTY === true;
  let lastLine = '';

  return (progress) => {
    let layers = images.get(progress.image);
    if (!layers) {
      layers = new Map();
      images.set(progress.image, layers);
      if (!tty) stream.write(`pulling ${progress.image}\n`);
    }
    if (progress.id && /^[a-f0-9]{12,}$/.test(progress.id)) {
      const layer = layers.get(progress.id) ?? { current: 0, total: 0, done: false };
      layers.set(progress.id, layer);
      if (progress.total) layer.total = progress.total;
      if (progress.current !== undefined && /Downloading/.test(progress.status)) layer.current = progress.current;
      if (LAYER_DONE.test(progress.status) && !layer.done) {
        layer.done = true;
        layer.current = layer.total;
        if (!tty) stream.write(`pulling ${progress.image}: layer ${progress.id} ${progress.status.toLowerCase()} (${count(layers)})\n`);
      }
    } else if (!tty && progress.status && !/^Pulling from /.test(progress.status)) {
      stream.write(`pulling ${progress.image}: ${progress.status}\n`);
    }
    if (tty) {
      const all = [...layers.values()];
      const current = all.reduce((sum, l) => sum + l.current, 0);
      const total = all.reduce((sum, l) => sum + l.total, 0);
      const bytes = total > 0 ? `${formatBytes(current)} / ${formatBytes(total)}, ` : '';
      const line = `pulling ${progress.image}: ${bytes}${count(layers)}`;
      if (line !== lastLine) stream.write(`\r\x1b[K${line}`);
      lastLine = line;
      if (/^Status: /.test(progress.status)) {
        stream.write('\n');
        lastLine = '';
      }
    }
  };
}

function count(layers: ReadonlyMap<string, Layer>): string {
  return `${[...layers.values()].filter((l) => l.done).length}/${layers.size} layers done`;
}
