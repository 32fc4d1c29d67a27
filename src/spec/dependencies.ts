/** dependsOn rules: targets exist, no container waits for itself, no cycles. */
import type { ContainerSpec } from '../model/spec.js';
import type { PathSegment } from './parse.js';

export interface DependencyProblem {
  readonly path: readonly PathSegment[];
  readonly message: string;
  readonly target: 'key' | 'value';
}

export function dependencyProblems(containers: readonly ContainerSpec[]): DependencyProblem[] {
  const problems: DependencyProblem[] = [];
  const keys = new Set(containers.map((c) => c.key));
  const byKey = new Map(containers.map((c) => [c.key, c]));
  for (const container of containers) {
    for (const [target, condition] of Object.entries(container.dependsOn)) {
      const at = ['spec', 'containers', container.key, 'dependsOn', target];
      const dependency = byKey.get(target);
      if (target === container.key) problems.push({ path: at, message: 'a container cannot depend on itself', target: 'key' });
      else if (!dependency) {
        problems.push({ path: at, message: `no container "${target}" in this app; allowed: ${[...keys].filter((k) => k !== container.key).join(', ') || 'none (it is the only container)'}`, target: 'key' });
      } else if (condition === 'completed' && (dependency.restart === 'always' || dependency.restart === 'unless-stopped')) {
        problems.push({ path: at, message: `"${target}" has restart: ${dependency.restart}, so it is restarted whenever it exits and never completes; give it restart: no or on-failure, or wait for started or healthy`, target: 'value' });
      } else if (condition === 'healthy' && dependency.healthcheck === 'disabled') {
        problems.push({ path: at, message: `"${target}" has its healthcheck disabled, so it never becomes healthy; give it a healthcheck, or wait for started`, target: 'value' });
      }
    }
  }
  const cycle = findCycle(containers);
  if (cycle) {
    const first = cycle[0] as string;
    problems.push({
      path: ['spec', 'containers', first, 'dependsOn'],
      message: `dependsOn forms a cycle: ${[...cycle, first].join(' -> ')}`,
      target: 'key',
    });
  }
  return problems;
}

/** One cycle among dependsOn edges (ignoring unknown targets and self-edges), or undefined. */
export function findCycle(containers: readonly ContainerSpec[]): string[] | undefined {
  const edges = new Map(containers.map((c) => [c.key, Object.keys(c.dependsOn).filter((t) => t !== c.key)]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (key: string): string[] | undefined => {
    if (state.get(key) === 'done') return undefined;
    if (state.get(key) === 'visiting') return stack.slice(stack.indexOf(key));
    state.set(key, 'visiting');
    stack.push(key);
    for (const next of edges.get(key) ?? []) {
      if (!edges.has(next)) continue;
      const found = visit(next);
      if (found) return found;
    }
    stack.pop();
    state.set(key, 'done');
    return undefined;
  };
  for (const key of [...edges.keys()].sort()) {
    const found = visit(key);
    if (found) return found;
  }
  return undefined;
}

/** Container keys in an order where every container comes after those it depends on. */
export function startOrder(containers: readonly ContainerSpec[]): string[] {
  const byKey = new Map(containers.map((c) => [c.key, c]));
  const ordered: string[] = [];
  const placed = new Set<string>();
  const place = (key: string, trail: Set<string>): void => {
    if (placed.has(key) || trail.has(key) || !byKey.has(key)) return;
    trail.add(key);
    for (const dependency of Object.keys(byKey.get(key)?.dependsOn ?? {}).sort()) place(dependency, trail);
    placed.add(key);
    ordered.push(key);
  };
  for (const key of [...byKey.keys()].sort()) place(key, new Set());
  return ordered;
}
