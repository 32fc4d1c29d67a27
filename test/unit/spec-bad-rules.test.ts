/**
 * Bad spec files, part 3: the rules a schema cannot express — variables, host ports, volume paths
 * and the host policy, dependsOn, the web container, ids, durations and sizes. Each message says
 * what is wrong and what is allowed, at the line of the offending value.
 */
import { describe, test } from 'node:test';
import { checkBadSpec, head, headless, inContainer, inSpec, inWeb, type BadSpec } from '../helpers/bad-specs.js';

const twoContainers = (webExtra: string, dbExtra = ''): string =>
  `${head()}  web:\n    port: 80\n    container: web\n  containers:\n    web:\n      image: x\n${webExtra.split('\n').map((l) => `      ${l}`).join('\n')}\n    db:\n      image: x\n${dbExtra.split('\n').map((l) => `      ${l}`).join('\n')}\n`;

const variables: BadSpec[] = [
  { name: 'an unknown variable in env', text: inContainer('env:\n  URL: "http://${HOSTNAME}/"  # <--'), path: 'spec.containers.web.env.URL', message: /unknown variable "\$\{HOSTNAME\}"; allowed: \$\{APP_IDENTIFIER\}, \$\{APP_HOSTNAME\}, \$\{HOST_PORT\}, \$\{HDA_DOMAIN\}, \$\{APP_DATA\} \(write \$\$ for a literal \$\)/ },
  { name: 'an unterminated variable', text: inContainer('env:\n  NAME: "${APP_IDENTIFIER"  # <--'), path: 'spec.containers.web.env.NAME', message: /unterminated variable reference "\$\{APP_IDENTIFIER"; close it with \} or write \$\$ for a literal \$/ },
  { name: 'a shell-style default', text: inContainer('env:\n  PORT: "${HOST_PORT:-8080}"  # <--'), path: 'spec.containers.web.env.PORT', message: /defaults and conditions \(:-, -, :\?, :\+\) are not supported, only plain references/ },
  { name: 'a known variable without braces in env', text: inContainer('env:\n  PORT: "$HOST_PORT"  # <--'), path: 'spec.containers.web.env.PORT', message: /\$HOST_PORT is not substituted; write \$\{HOST_PORT\} \(or \$\$HOST_PORT for the literal text\)/ },
  { name: 'the web port variable in a headless app', text: headless('env:\n  URL: "http://localhost:${HOST_PORT}/"  # <--'), path: 'spec.containers.worker.env.URL', message: /\$\{HOST_PORT\} has no value here: the app has no web section, so it has no web host port/ },
  { name: 'an unknown variable in a command list', text: inContainer('command: [sh, "-c", "echo ${USER}"]  # <--'), path: 'spec.containers.web.command[2]', message: /unknown variable "\$\{USER\}"/ },
  { name: 'an unknown variable in a command string', text: inContainer('command: echo ${HOME}  # <--'), path: 'spec.containers.web.command', message: /unknown variable "\$\{HOME\}"/ },
  { name: 'an unknown variable in the entrypoint', text: inContainer('entrypoint: ["/bin/${SHELL}"]  # <--'), path: 'spec.containers.web.entrypoint[0]', message: /unknown variable "\$\{SHELL\}"/ },
  { name: 'an unknown variable in a healthcheck', text: inContainer('healthcheck:\n  test: [CMD, wget, "http://localhost:${PORT}/"]  # <--'), path: 'spec.containers.web.healthcheck.test[2]', message: /unknown variable "\$\{PORT\}"/ },
  { name: 'a variable in a volume', text: inContainer('volumes: ["${APP_DATA}/x:/x"]  # <--'), path: 'spec.containers.web.volumes[0]', message: /variables are not substituted in volumes; a relative source \(\.\/name\) already lives in the app's data directory/ },
  { name: 'a variable name with a newline', text: inContainer('env:\n  A: "${APP\\nDATA}"  # <--'), path: 'spec.containers.web.env.A', message: /unknown variable "\$\{APP\\nDATA\}"/ },
  { name: 'a command string with an open quote', text: inContainer(`command: "sh -c 'echo hi"  # <--`), path: 'spec.containers.web.command', message: /cannot split into arguments: unterminated single quote; use a list, or balance the quotes/ },
];

const ports: BadSpec[] = [
  { name: 'a host port in the web port range', text: inContainer('ports: ["35005:80"]  # <--'), path: 'spec.containers.web.ports[0]', message: /host port 35005 lies in the range reserved for web ports \(basePort\+1\.\.basePort\+30000 = 35001-65000\); pick a port outside it/ },
  { name: 'the port the reverse proxy listens on', text: inContainer('ports: ["80:8080"]  # <--'), path: 'spec.containers.web.ports[0]', message: /host port 80 is used by the reverse proxy \(proxy.listenPort\) on this host; pick another port/ },
  { name: 'the port of the controller API', text: inContainer('ports: ["7135:80"]  # <--'), path: 'spec.containers.web.ports[0]', message: /host port 7135 is used by the controller API \(api.listen\)/ },
  { name: 'one host port twice in a container', text: inContainer('ports:\n  - "2222:22"\n  - "2222:23"  # <--'), path: 'spec.containers.web.ports[1]', message: /host port 2222\/tcp is published twice in this container/ },
  { name: 'one host port in two containers of an app', text: twoContainers('ports: ["2222:22"]  # <--', 'ports: ["2222:2222"]'), path: 'spec.containers.web.ports[0]', message: /host port 2222\/tcp is also published by container "db" of this app; a host port can be published once/ },
  { name: 'host port 0', text: inContainer('ports: ["0:80"]  # <--'), path: 'spec.containers.web.ports[0]', message: /"0:80": host and container ports must be between 1 and 65535/ },
  { name: 'container port 99999', text: inContainer('ports: ["2222:99999"]  # <--'), path: 'spec.containers.web.ports[0]', message: /host and container ports must be between 1 and 65535/ },
  { name: 'ports on the host network', text: inContainer('hostNetwork: true\nports: ["2222:22"]  # <--'), config: { policy: { allowHostNamespaces: true } }, path: 'spec.containers.web.ports', message: /a container on the host network cannot publish ports; remove ports or hostNetwork/ },
];

const volumes: BadSpec[] = [
  { name: 'a relative source that climbs out of the data directory', text: inContainer('volumes: ["../other-app:/data"]  # <--'), path: 'spec.containers.web.volumes[0]', message: /"\.\.\/other-app" escapes the app's data directory; relative sources must stay inside it/ },
  { name: 'a relative source that climbs out halfway', text: inContainer('volumes: ["./a/../../b:/data"]  # <--'), path: 'spec.containers.web.volumes[0]', message: /escapes the app's data directory/ },
  { name: 'a host path outside the allowed ones', text: inContainer('volumes: ["/etc/passwd:/etc/passwd:ro"]  # <--'), path: 'spec.containers.web.volumes[0]', message: /host path \/etc\/passwd is outside the host's policy.allowedHostPaths \(\/etc\/localtime, \/etc\/timezone\); use a relative path \(\.\/name\) for app data/ },
  { name: 'an allowed host path with ../ after it', text: inContainer('volumes: ["/etc/localtime/../shadow:/s:ro"]  # <--'), path: 'spec.containers.web.volumes[0]', message: /host path \/etc\/shadow is outside the host's policy.allowedHostPaths/ },
  { name: 'the Docker socket', text: inContainer('volumes: ["/var/run/docker.sock:/var/run/docker.sock"]  # <--'), path: 'spec.containers.web.volumes[0]', message: /mounting \/var\/run\/docker.sock exposes the Docker socket, which gives root on the host; the host's policy.allowDockerSocket does not allow it/ },
  { name: 'the host root, which holds the Docker socket', text: inContainer('volumes: ["/:/host:ro"]  # <--'), path: 'spec.containers.web.volumes[0]', message: /mounting \/ exposes the Docker socket/ },
  { name: 'the directory of the Docker socket', text: inContainer('volumes: ["/run:/run"]  # <--'), path: 'spec.containers.web.volumes[0]', message: /mounting \/run exposes the Docker socket/ },
  { name: 'a relative target', text: inContainer('volumes: ["./data:data"]  # <--'), path: 'spec.containers.web.volumes[0]', message: /target "data" must be an absolute path inside the container/ },
  { name: 'the container root as target', text: inContainer('volumes: ["./data:/"]  # <--'), path: 'spec.containers.web.volumes[0]', message: /target may not be the container's root directory/ },
  { name: 'an unknown mount mode', text: inContainer('volumes: ["./data:/data:rx"]  # <--'), path: 'spec.containers.web.volumes[0]', message: /mode "rx" is not allowed; use ro or rw/ },
  { name: 'a volume with too many colons', text: inContainer('volumes: ["./a:/b:ro:z"]  # <--'), path: 'spec.containers.web.volumes[0]', message: /is not SOURCE:TARGET or SOURCE:TARGET:MODE/ },
  { name: 'a named volume with a space', text: inContainer('volumes: ["my cache:/cache"]  # <--'), path: 'spec.containers.web.volumes[0]', message: /"my cache" is not a volume name \(letters, digits, '_', '\.', '-'\), a \.\/relative path or an \/absolute path/ },
  { name: 'the proxy logs directory, writable', text: inContainer('volumes: ["./logs:/var/log/app"]  # <--'), path: 'spec.containers.web.volumes[0]', message: /"\.\/logs": logs\/ is where the reverse proxy writes this app's logs as root; mount another directory \(\.\/data\), or add :ro/ },
  { name: 'the whole data directory, writable', text: inContainer('volumes: [".:/data"]  # <--'), path: 'spec.containers.web.volumes[0]', message: /"\.": the whole data directory holds logs\/, where the reverse proxy writes this app's logs as root/ },
  { name: 'one target mounted twice', text: inContainer('volumes:\n  - ./a:/data\n  - ./b:/data/  # <--'), path: 'spec.containers.web.volumes[1]', message: /target "\/data" is mounted twice; each container path may be mounted once/ },
];

const policy: BadSpec[] = [
  { name: 'a privileged container', text: inContainer('privileged: true  # <--'), path: 'spec.containers.web.privileged', message: /privileged containers control the host; the host's policy.allowPrivileged does not allow them/ },
  { name: 'the host network', text: inContainer('hostNetwork: true  # <--'), path: 'spec.containers.web.hostNetwork', message: /hostNetwork shares a namespace of the host; the host's policy.allowHostNamespaces does not allow it/ },
  { name: 'the host PID namespace', text: inContainer('hostPID: true  # <--'), path: 'spec.containers.web.hostPID', message: /hostPID shares a namespace of the host/ },
  { name: 'the host IPC namespace', text: inContainer('hostIPC: true  # <--'), path: 'spec.containers.web.hostIPC', message: /hostIPC shares a namespace of the host/ },
  { name: 'a capability outside the allow-list', text: inContainer('capAdd: [SYS_ADMIN]  # <--'), config: { policy: { allowedCapabilities: ['NET_ADMIN'] } }, path: 'spec.containers.web.capAdd[0]', message: /capability SYS_ADMIN is not in the host's policy.allowedCapabilities \(allowed: NET_ADMIN\)/ },
  { name: 'a capability when none is allowed', text: inContainer('capAdd: [NET_ADMIN]  # <--'), path: 'spec.containers.web.capAdd[0]', message: /\(allowed: none\)/ },
  { name: 'a device outside the allow-list', text: inContainer('devices: ["/dev/sda"]  # <--'), path: 'spec.containers.web.devices[0]', message: /device \/dev\/sda is not in the host's policy.allowedDevices \(none\)/ },
];

const rules: BadSpec[] = [
  { name: 'a dependency on a missing container', text: inContainer('dependsOn: { db: healthy }  # <--'), path: 'spec.containers.web.dependsOn.db', message: /no container "db" in this app; allowed: none \(it is the only container\)/ },
  { name: 'a container that depends on itself', text: inContainer('dependsOn: { web: started }  # <--'), path: 'spec.containers.web.dependsOn.web', message: /a container cannot depend on itself/ },
  { name: 'a dependency cycle', text: twoContainers('dependsOn: { db: started }', 'dependsOn: { web: started }  # <--'), path: 'spec.containers.db.dependsOn', message: /dependsOn forms a cycle: db -> web -> db/ },
  { name: 'waiting for a container that never completes', text: twoContainers('dependsOn: { db: completed }  # <--'), path: 'spec.containers.web.dependsOn.db', message: /"db" has restart: unless-stopped, so it is restarted whenever it exits and never completes; give it restart: no or on-failure, or wait for started or healthy/ },
  { name: 'waiting for health that is disabled', text: twoContainers('dependsOn: { db: healthy }  # <--', 'healthcheck: { disable: true }'), path: 'spec.containers.web.dependsOn.db', message: /"db" has its healthcheck disabled, so it never becomes healthy/ },
  { name: 'a web container that does not exist', text: inWeb('container: app  # <--'), path: 'spec.web.container', message: /no container "app" in spec.containers; allowed: web/ },
  { name: 'no web container among several', text: twoContainers('init: true').replace('    container: web\n', '').replace('  web:\n    port: 80', '  web:  # <--\n    port: 80'), path: 'spec.web', message: /web.container is required when the app has 2 containers \(db, web\): name the one that serves HTTP/ },
  { name: 'a web container on the host network', text: inContainer('hostNetwork: true').replace('  web:\n    port: 80', '  web:\n    port: 80\n    container: web  # <--'), config: { policy: { allowHostNamespaces: true } }, path: 'spec.web.container', message: /container "web" uses the host network, so its port cannot be published for the proxy/ },
  { name: 'an id too large for the base port', text: inSpec('id: 6000  # <--'), config: { basePort: 60000 }, path: 'spec.id', message: /id 6000 is too large: basePort \(60000\) \+ id must be a port, so at most 5535/ },
  { name: 'an id above the largest', text: inSpec('id: 30001  # <--'), path: 'spec.id', message: /30001 is out of range: must be at most 30000/ },
  { name: 'a container without image or build', text: inContainer('init: true').replace('      image: amahi-demo/httpd:1\n', '').replace('    web:\n      init', '    web:  # <--\n      init'), path: 'spec.containers.web', message: /needs an image, or a build to make one/ },
  { name: 'a healthcheck list without CMD', text: inContainer('healthcheck:\n  test: [wget, "-q", "http://localhost/"]  # <--'), path: 'spec.containers.web.healthcheck.test[0]', message: /a healthcheck list must start with "CMD", "CMD-SHELL" or "NONE", not "wget"/ },
  { name: 'a healthcheck of CMD alone', text: inContainer('healthcheck:\n  test: [CMD]  # <--'), path: 'spec.containers.web.healthcheck.test', message: /"CMD" must be followed by the command to run/ },
  { name: 'an empty healthcheck command', text: inContainer('healthcheck:\n  test: "  "  # <--'), path: 'spec.containers.web.healthcheck.test', message: /the healthcheck command is empty/ },
  { name: 'a healthcheck interval of two days', text: inContainer('healthcheck:\n  test: "true"\n  interval: 48h  # <--'), path: 'spec.containers.web.healthcheck.interval', message: /"48h" is too long; durations may be at most 24h/ },
  { name: 'a stop grace period of a hundred hours', text: inContainer('stopGracePeriod: 100h  # <--'), path: 'spec.containers.web.stopGracePeriod', message: /"100h" is too long; durations may be at most 24h/ },
  { name: 'a memory size below the minimum', text: inContainer('resources: { memory: 1Ki }  # <--'), path: 'spec.containers.web.resources.memory', message: /"1Ki" is not a memory size between 4Mi \(the engine's minimum\) and 16Ti/ },
  { name: 'a memory size beyond reason', text: inContainer('resources: { memory: 999999999999T }  # <--'), path: 'spec.containers.web.resources.memory', message: /"999999999999T" is not a memory size between 4Mi/ },
  { name: 'a Dockerfile outside the build context', text: inContainer('build: { context: ./img, dockerfile: ../Dockerfile }  # <--'), path: 'spec.containers.web.build.dockerfile', message: /"\.\.\/Dockerfile" must be a path inside the build context/ },
];

describe('bad spec files: the rules beyond the schema', () => {
  for (const [group, cases] of Object.entries({ variables, 'host ports': ports, volumes, 'host policy': policy, 'dependencies, web, ids, sizes': rules })) {
    describe(group, () => {
      for (const spec of cases) test(`${spec.name} is refused with a located message`, () => void checkBadSpec(spec));
    });
  }
});
