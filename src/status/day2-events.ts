/** Update results and image clean-ups as controller events (/api/v1/events, describe). */
import { shortId } from '../core/update.js';
import type { Controller } from '../controller/controller.js';
import type { GcReport } from '../controller/gc.js';
import type { UpdateResult } from '../model/update.js';
import type { EventLog } from './events.js';

export function updateSummary(result: UpdateResult): string {
  const changes = result.containers.map((c) => `${c.container} ${shortId(c.from)} -> ${shortId(c.to)}`).join(', ');
  return [changes || 'no image changed', result.reason].filter(Boolean).join(': ');
}

export function recordDay2Events(controller: Controller, log: EventLog): () => void {
  const onUpdate = (result: UpdateResult): void => {
    log.record({ type: 'Update', app: result.app, reason: result.outcome, message: `${result.trigger} update: ${updateSummary(result)}` });
  };
  const onGc = (report: GcReport): void => {
    const removed = report.images.filter((i) => i.action === 'remove');
    if (removed.length > 0) log.record({ type: 'ImageGc', app: undefined, reason: 'Removed', message: `removed ${removed.length} image(s), ${report.bytes} bytes` });
  };
  controller.on('update', onUpdate);
  controller.on('gc', onGc);
  return () => {
    controller.off('update', onUpdate);
    controller.off('gc', onGc);
  };
}
