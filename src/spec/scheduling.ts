/**
 * Replicas and placement, and the rules that depend on which runtime runs the apps (config
 * `runtime.kind`). Pure. One host and a Swarm read the same spec; what only one of them can do is
 * refused here, at validation, with a message that says which runtime would accept it.
 */
import type { RuntimeKind } from '../config.js';
import type { AppSpec, ContainerSpec, PlacementSpec, WebSpec } from '../model/spec.js';
import type { Container as ContainerInput } from '../model/spec-input.generated.js';
import type { PathSegment } from './parse.js';
import { MAX_SWARM_NAME, serviceName } from '../core/names.js';

type Report = (segments: readonly PathSegment[], message: string, target?: 'key' | 'value') => void;

/** The normalized replicas and placement of one container (defaults: 1, anywhere). */
export function scheduling(input: ContainerInput): Pick<ContainerSpec, 'replicas' | 'placement'> {
  const labels = Object.entries(input.placement?.nodeLabels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const placement: PlacementSpec = {
    hostname: input.placement?.hostname,
    role: input.placement?.role,
    nodeLabels: Object.fromEntries(labels),
  };
  return { replicas: input.replicas ?? 1, placement };
}

/** Host ports a container publishes: its own `ports`, and the web port when it serves the app. */
function publishedPorts(container: ContainerSpec, web: WebSpec | undefined): string[] {
  const ports = container.ports.map((p) => `${p.hostPort}/${p.protocol}`);
  return web?.container === container.key ? ['the web port', ...ports] : ports;
}

/** Fields a Swarm service cannot express (the Engine API has no place for them in a task). */
const NOT_ON_SWARM: readonly { field: keyof ContainerSpec & string; what: string; set: (c: ContainerSpec) => boolean }[] = [
  { field: 'devices', what: 'devices', set: (c) => c.devices.length > 0 },
  { field: 'privileged', what: 'privileged mode', set: (c) => c.privileged },
  { field: 'hostPID', what: "the host's PID namespace", set: (c) => c.hostPID },
  { field: 'hostIPC', what: "the host's IPC namespace", set: (c) => c.hostIPC },
];

/**
 * The runtime rules, once the whole app is known (the web section decides which container publishes
 * the web port). Problems are reported at the field that the user would change.
 */
export function runtimeProblems(app: Pick<AppSpec, 'name' | 'containers' | 'web'>, runtime: RuntimeKind, report: Report): void {
  for (const container of app.containers) {
    const at: PathSegment[] = ['spec', 'containers', container.key];
    if (runtime === 'docker' && container.replicas > 1) {
      const ports = publishedPorts(container, app.web);
      if (ports.length > 0) {
        report([...at, 'replicas'], `replicas: ${container.replicas} on one host would start ${container.replicas} containers that all claim ${ports.join(', ')}; `
          + 'publish no ports from this container, keep replicas: 1, or run the apps on Docker Swarm (runtime.kind: swarm)');
      }
    }
    if (runtime === 'swarm') {
      const service = serviceName('default', app.name, container.key);
      if (service.length > MAX_SWARM_NAME) {
        report(at, `the service name ${service} would be ${service.length} characters; Swarm allows ${MAX_SWARM_NAME}: shorten the app name or the container key`, 'key');
      }
      for (const rule of NOT_ON_SWARM) {
        if (rule.set(container)) {
          report([...at, rule.field], `Docker Swarm services cannot use ${rule.what}; remove ${rule.field}, or run this app with runtime.kind: docker`);
        }
      }
    }
  }
}
