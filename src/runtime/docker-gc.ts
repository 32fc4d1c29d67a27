/**
 * Engine calls for image clean-up, mechanically: which image IDs containers use, and removing one
 * image. Never forced: the engine's own refusal (an image a container uses) is the last guard.
 */
import type Docker from 'dockerode';
import { toDockerError } from './docker-errors.js';

/** Image IDs that any container on the engine (running or not, of any owner) was created from. */
export async function imageIdsInUse(docker: Docker): Promise<Set<string>> {
  try {
    const containers = await docker.listContainers({ all: true });
    return new Set(containers.map((c) => c.ImageID).filter(Boolean));
  } catch (error) {
    throw toDockerError(error, 'cannot list containers');
  }
}

const statusOf = (error: unknown): number | undefined => (error as { statusCode?: number }).statusCode;

/**
 * Removes an image: its tags one by one (the last one deletes the image), then the image by ID
 * (one known only by digest). Already gone counts as removed.
 */
export async function removeImage(docker: Docker, id: string, tags: readonly string[]): Promise<void> {
  try {
    for (const tag of tags) {
      await docker.getImage(tag).remove({ noprune: false }).catch((error: unknown) => {
        if (statusOf(error) !== 404) throw error;
      });
    }
    await docker.getImage(id).remove({ noprune: false }).catch((error: unknown) => {
      if (statusOf(error) !== 404) throw error;
    });
  } catch (error) {
    throw toDockerError(error, `cannot remove image ${id.replace(/^sha256:/, '').slice(0, 12)}`);
  }
}
