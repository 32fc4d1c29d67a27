/**
 * replicas and placement in the spec, and the rules that depend on the runtime (runtime.kind): what
 * one host refuses, what Swarm refuses, each at the field to change, with the line of the file.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CONFIG_FLAGS, resolveConfig } from '../../src/config.js';
import { specContext } from '../../src/controller/specs.js';
import { loadSpecFile } from '../../src/spec/load.js';

const config = (kind: 'docker' | 'swarm') => resolveConfig({
  specsDir: '/specs', stateDir: '/state', dataRoot: '/data', instance: 'unit', runtime: { kind },
  policy: { allowPrivileged: true, allowHostNamespaces: true, allowedDevices: ['/dev/dri'] },
});

function load(text: string, kind: 'docker' | 'swarm') {
  return loadSpecFile({ file: '/specs/app.yaml', bytes: Buffer.from(text) }, specContext(config(kind)));
}
const problems = (text: string, kind: 'docker' | 'swarm'): string[] => load(text, kind).problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);

const app = (containers: string, web = '') => `apiVersion: amahi.org/v1
kind: App
metadata: { name: media }
spec:
${web}  containers:
${containers}`;

describe('replicas on one host and on Swarm', () => {
  const cases: { name: string; text: string; docker: string[]; swarm: string[] }[] = [
    {
      name: 'a container without ports may have replicas on both runtimes',
      text: app('    worker: { image: "w:1", replicas: 3 }\n'), docker: [], swarm: [],
    },
    {
      name: 'a container with its own ports may not have replicas on one host',
      text: app('    dns:\n      image: "d:1"\n      ports: ["5353:53/udp"]\n      replicas: 2\n'),
      docker: ['9:17 spec.containers.dns.replicas: replicas: 2 on one host would start 2 containers that all claim 5353/udp; publish no ports from this container, keep replicas: 1, or run the apps on Docker Swarm (runtime.kind: swarm)'],
      swarm: [],
    },
    {
      name: 'the web container publishes the web port',
      text: app('    web: { image: "w:1", replicas: 2 }\n', '  web: { port: 80 }\n'),
      docker: ['7:36 spec.containers.web.replicas: replicas: 2 on one host would start 2 containers that all claim the web port; publish no ports from this container, keep replicas: 1, or run the apps on Docker Swarm (runtime.kind: swarm)'],
      swarm: [],
    },
    {
      name: 'replicas must be a whole number from 1 to 64',
      text: app('    worker: { image: "w:1", replicas: 0 }\n'),
      docker: ['6:39 spec.containers.worker.replicas: 0 is out of range: must be at least 1.'],
      swarm: ['6:39 spec.containers.worker.replicas: 0 is out of range: must be at least 1.'],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(problems(c.text, 'docker').map((p) => p.replace(/ Allowed: .*$/, '')), c.docker);
      assert.deepEqual(problems(c.text, 'swarm').map((p) => p.replace(/ Allowed: .*$/, '')), c.swarm);
    });
  }
});

describe('what a Swarm service cannot do', () => {
  test('privileged, devices and the host PID and IPC namespaces are refused on Swarm only', () => {
    const text = app('    gpu:\n      image: "g:1"\n      privileged: true\n      devices: ["/dev/dri:/dev/dri"]\n      hostPID: true\n      hostIPC: true\n');
    assert.deepEqual(problems(text, 'docker'), []);
    assert.deepEqual(problems(text, 'swarm'), [
      '9:16 spec.containers.gpu.devices: Docker Swarm services cannot use devices; remove devices, or run this app with runtime.kind: docker',
      '8:19 spec.containers.gpu.privileged: Docker Swarm services cannot use privileged mode; remove privileged, or run this app with runtime.kind: docker',
      "10:16 spec.containers.gpu.hostPID: Docker Swarm services cannot use the host's PID namespace; remove hostPID, or run this app with runtime.kind: docker",
      "11:16 spec.containers.gpu.hostIPC: Docker Swarm services cannot use the host's IPC namespace; remove hostIPC, or run this app with runtime.kind: docker",
    ]);
  });
  test('a service name Swarm would refuse (over 63 characters) is refused at the container key', () => {
    const key = `c${'x'.repeat(60)}`;
    const [problem] = problems(app(`    ${key}: { image: "g:1" }\n`), 'swarm');
    assert.equal(problem, `6:5 spec.containers.${key}: the service name media_${key} would be 67 characters; Swarm allows 63: shorten the app name or the container key`);
  });
});

describe('placement', () => {
  test('is normalized with sorted labels, and defaults to anywhere', () => {
    const result = load(app('    web:\n      image: "w:1"\n      placement: { nodeLabels: { zone: a, disk: ssd }, hostname: nas, role: worker }\n    api: { image: "a:1" }\n'), 'swarm');
    assert.deepEqual(result.problems, []);
    const [api, web] = result.apps[0]?.containers ?? [];
    assert.deepEqual(web?.placement, { hostname: 'nas', role: 'worker', nodeLabels: { disk: 'ssd', zone: 'a' } });
    assert.equal(JSON.stringify(Object.keys(web?.placement.nodeLabels ?? {})), '["disk","zone"]');
    assert.deepEqual([api?.replicas, api?.placement], [1, { hostname: undefined, role: undefined, nodeLabels: {} }]);
  });
  test('label names and values that a constraint cannot carry are refused by the schema', () => {
    const found = problems(app('    web:\n      image: "w:1"\n      placement: { nodeLabels: { "disk type": ssd, zone: "a b" } }\n'), 'swarm');
    assert.match(found.join('\n'), /spec\.containers\.web\.placement\.nodeLabels\["disk type"\]: "disk type" is not a valid name/);
    assert.match(found.join('\n'), /spec\.containers\.web\.placement\.nodeLabels\.zone: "a b" is not allowed/);
  });
});

describe('runtime config', () => {
  test('runtime.kind defaults to docker and routingMesh to auto; both have flags', () => {
    const defaults = resolveConfig({});
    assert.deepEqual(defaults.runtime, { kind: 'docker', routingMesh: 'auto' });
    assert.deepEqual(CONFIG_FLAGS.filter((f) => f.key.startsWith('runtime.')).map((f) => f.flag), ['runtime', 'routing-mesh']);
    assert.throws(() => resolveConfig({ runtime: { kind: 'kubernetes' } }), /runtime\.kind: must be equal to one of the allowed values/);
  });
});
