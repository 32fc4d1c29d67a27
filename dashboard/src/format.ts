/** Words and numbers for people: states, reasons, ages, sizes. Pure (no DOM), unit-tested. */
import type { AppStatus, Condition, UpdateResult } from './types.js';

export type Tone = 'ok' | 'busy' | 'bad' | 'unknown';

export interface AppState {
  /** Ready, Progressing, Degraded or Not ready. */
  readonly label: string;
  readonly tone: Tone;
  readonly reason: string;
  /** The reason in words. */
  readonly words: string;
  readonly message: string;
}

const REASON_WORDS: Record<string, string> = {
  Converged: 'Running as specified',
  Applying: 'Applying changes',
  WaitingForDependencies: 'Waiting for a container it depends on',
  HealthStarting: 'Waiting for the health check to pass',
  CrashLoopBackOff: 'A container keeps crashing',
  Unhealthy: 'A container is unhealthy',
  ContainerExited: 'A container has stopped',
  ContainerPaused: 'A container is paused',
  SpecRefused: 'A newer spec was refused; the last good version keeps running',
  VhostNotManaged: 'A web server file the controller does not manage is in the way',
  SpecInvalid: 'The spec is invalid',
  PortConflict: 'A port it needs is taken',
  NameConflict: 'A container name it needs is taken',
  ImagePullFailed: 'The image could not be downloaded',
  ImageBuildFailed: 'The image could not be built',
  ProxyConfigInvalid: 'The web server refused its configuration',
  ProxyWriteFailed: 'Its web server file could not be written',
  ProxyReloadFailed: 'The web server could not be reloaded',
  EngineUnavailable: 'Docker cannot be reached',
  PruneRefused: 'Its uninstall was held back by the safety guard',
  StateWriteFailed: 'The controller could not save its state',
  UpdateFailed: 'An update failed and was rolled back',
  ReconcileFailed: 'The last change failed',
  AsExpected: 'Nothing wrong',
};

/** A reason such as CrashLoopBackOff in words; unknown reasons are split at their capitals. */
export function reasonWords(reason: string): string {
  const known = REASON_WORDS[reason];
  if (known) return known;
  const spaced = reason.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

const condition = (status: AppStatus, type: Condition['type']): Condition | undefined => status.conditions.find((c) => c.type === type);

/**
 * The one state a person reads first. Degraded wins (something is wrong, even if it still serves),
 * then Progressing (changes under way), then Ready; otherwise Not ready with the Ready reason.
 */
export function appState(status: AppStatus): AppState {
  const ready = condition(status, 'Ready');
  const progressing = condition(status, 'Progressing');
  const degraded = condition(status, 'Degraded');
  const state = (label: string, tone: Tone, from: Condition | undefined): AppState => {
    const reason = from?.reason ?? 'Unknown';
    return { label, tone, reason, words: reasonWords(reason), message: from?.message ?? '' };
  };
  if (degraded?.status === 'True') return state('Degraded', 'bad', degraded);
  if (progressing?.status === 'True') return state('Progressing', 'busy', progressing);
  if (ready?.status === 'True') return state('Ready', 'ok', ready);
  return state('Not ready', 'unknown', ready);
}

/** How long ago: "12 s", "5 min", "3 h", "2 d". */
export function age(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(seconds)) return '—';
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

/** Bytes in binary units: "512 B", "1.5 KiB", "230 MiB", "7.8 GiB". */
export function bytes(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let amount = value;
  let unit = 0;
  while (amount >= 1024 && unit < units.length - 1) {
    amount /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || amount >= 100 ? 0 : amount >= 10 ? 1 : 2;
  return `${amount.toFixed(digits)} ${units[unit]}`;
}

export function percent(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} %`;
}

/** A revision as people compare them: a git hash shortened, a link target as it is. */
export function shortRevision(revision: string | undefined): string {
  if (!revision) return '—';
  return /^[0-9a-f]{40}$/.test(revision) ? revision.slice(0, 12) : revision;
}

export function duration(seconds: number): string {
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400 * 2) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

const shortImageId = (id: string | undefined): string => (id ? id.replace(/^sha256:/, '').slice(0, 12) : '-');

/** An update's outcome in one sentence: what moved, or why nothing did. */
export function describeUpdate(result: UpdateResult): string {
  const moved = result.containers.map((c) => `${c.container} ${shortImageId(c.from)} -> ${shortImageId(c.to)}`).join(', ');
  const what: Record<UpdateResult['outcome'], string> = {
    Updated: `${result.app} was updated${moved ? ` (${moved})` : ''} and is healthy.`,
    UpToDate: `${result.app} is up to date: no image moved.`,
    RolledBack: `${result.app} was rolled back to its previous image${result.reason ? `: ${result.reason}` : '.'}`,
    Failed: `The update of ${result.app} failed${result.reason ? `: ${result.reason}` : '.'}`,
  };
  return what[result.outcome];
}
