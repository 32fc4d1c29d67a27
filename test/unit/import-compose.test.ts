/**
 * Compose shapes, table-driven: each case is a compose file written for the test, the spec fields
 * it must produce, the report entries it must have (nothing is dropped silently), and whether the
 * result validates with the default host policy.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ImportOptions } from '../../src/import/import.js';
import { assertEntry, importText, validationProblems, valueAt, type ExpectedEntry } from '../helpers/import.js';

interface Case {
  readonly name: string;
  readonly compose: string;
  readonly options?: Partial<ImportOptions>;
  /** Dotted path in the spec object -> expected value (deepEqual; undefined: absent). */
  readonly spec: Readonly<Record<string, unknown>>;
  readonly entries?: readonly ExpectedEntry[];
  /** Validation problems expected (regexps, in any order); default: none. */
  readonly invalid?: readonly RegExp[];
}

const C = 'spec.containers';

const cases: Case[] = [
  {
    name: 'the old format with services at the root',
    compose: `web:\n  image: nginx:1.25\n  ports: ["8080:80"]\n`,
    spec: { 'metadata.name': 'app', 'spec.web': { port: 80 }, [`${C}.web.image`]: 'nginx:1.25', [`${C}.web.ports`]: undefined },
    entries: [{ kind: 'note', path: 'metadata.name', message: /from the directory name/ }],
  },
  {
    name: 'the Compose specification with version, name, x- extensions and merge keys',
    compose: `version: "3.8"\nname: My_Site\nx-base: &base\n  restart: always\n  init: true\nservices:\n  site:\n    <<: *base\n    image: nginx\n    ports: ["80:80"]\n`,
    spec: { 'metadata.name': 'my-site', [`${C}.site.restart`]: 'always', [`${C}.site.init`]: true, 'spec.web': { port: 80 } },
    entries: [
      { kind: 'note', path: 'version', message: /obsolete/ },
      { kind: 'note', path: 'x-base', message: /ignored/ },
    ],
  },
  {
    name: 'interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, $VAR, $$ and unset variables',
    compose: `services:\n  app:\n    image: "repo/app:\${TAG:-1.0}"\n    environment:\n      A: \${SET}\n      B: \${EMPTY:-fallback}\n      C: \${EMPTY-kept-empty}\n      D: $SET-x\n      E: "cost $$5"\n      F: \${UNSET}\n      G: \${NESTED:-\${SET}}\n`,
    options: { environment: { SET: 'value', EMPTY: '' } },
    spec: { [`${C}.app.image`]: 'repo/app:1.0', [`${C}.app.env`]: { A: 'value', B: 'fallback', C: '', D: 'value-x', E: 'cost $$5', F: '', G: 'value' } },
    entries: [{ kind: 'manual', path: '${UNSET}', message: /not set.*empty string/ }],
  },
  {
    name: 'a required variable that is not set',
    compose: `services:\n  app:\n    image: app\n    environment:\n      KEY: \${KEY:?the key is needed}\n`,
    spec: { [`${C}.app.env`]: { KEY: '' } },
    entries: [{ kind: 'manual', path: 'interpolation', message: /KEY: the key is needed/ }],
  },
  {
    name: 'command and entrypoint in string and list form',
    compose: `services:\n  a:\n    image: app\n    command: sh -c "echo $$HOME"\n    entrypoint: ["/init", "--verbose"]\n  b:\n    image: app\n    command: ["serve", "--port", "80"]\n    entrypoint: /bin/tini --\n`,
    spec: {
      [`${C}.a.command`]: 'sh -c "echo $$HOME"', [`${C}.a.entrypoint`]: ['/init', '--verbose'],
      [`${C}.b.command`]: ['serve', '--port', '80'], [`${C}.b.entrypoint`]: '/bin/tini --',
    },
  },
  {
    name: 'environment as a list, with a variable taken from the environment and one without any value',
    compose: `services:\n  app:\n    image: app\n    environment:\n      - PLAIN=1\n      - WITH_EQUALS=a=b\n      - FROM_ENV\n      - NOWHERE\n      - bad-name=x\n`,
    options: { environment: { FROM_ENV: 'here' } },
    spec: { [`${C}.app.env`]: { PLAIN: '1', WITH_EQUALS: 'a=b', FROM_ENV: 'here' } },
    entries: [
      { kind: 'changed', path: 'services.app.environment[2]', message: /from the environment/ },
      { kind: 'dropped', path: 'services.app.environment[3]', message: /not set in the environment/ },
      { kind: 'dropped', path: 'services.app.environment[4]', message: /not a variable name/ },
    ],
  },
  {
    name: 'env_file in string, list and long form: read and inlined under environment, or listed',
    compose: `services:\n  a:\n    image: app\n    env_file: a.env\n    environment: { OVER: from-environment }\n  b:\n    image: app\n    env_file:\n      - path: ./optional.env\n        required: false\n      - ./missing.env\n`,
    options: {
      readFile: (file) => (file === '/compose/app/a.env' ? { text: 'export ONE=1\nOVER=from-file\nQUOTED="two words"\n# comment\n' } : { error: 'ENOENT' }),
    },
    spec: { [`${C}.a.env`]: { ONE: '1', OVER: 'from-environment', QUOTED: 'two words' }, [`${C}.b.env`]: undefined },
    entries: [
      { kind: 'changed', path: 'services.a.env_file', message: /a\.env was read and its 3 variable\(s\) inlined/ },
      { kind: 'note', path: 'services.b.env_file[0]', message: /optional env file/ },
      { kind: 'manual', path: 'services.b.env_file[1]', message: /cannot read env file \/compose\/app\/missing\.env/ },
    ],
  },
  {
    name: 'ports in every short form and the long form',
    compose: [
      'services:', '  app:', '    image: app', '    ports:',
      '      - "8080:80"', '      - 9000', '      - "127.0.0.1:8443:443"', '      - "7000-7001:7000-7001"', '      - "53:53/udp"',
      '      - "[::1]:6060:6060"', '      - "0.0.0.0:2222:22"', '      - "9100-9110:9100"',
      '      - target: 25', '        published: "2525"', '        protocol: tcp', '        mode: host',
      '      - target: 5353', '        protocol: sctp', '        published: 5353', '',
    ].join('\n'),
    spec: { 'spec.web': { port: 80 }, [`${C}.app.ports`]: ['7000:7000', '7001:7001', '53:53/udp', '2222:22', '2525:25'] },
    entries: [
      { kind: 'changed', path: 'services.app.ports[0]', message: /became web\.port 80.*host port 8080 is no longer published/ },
      { kind: 'dropped', path: 'services.app.ports[1]', message: /random host port/ },
      { kind: 'dropped', path: 'services.app.ports[2]', message: /published on 127\.0\.0\.1 only/ },
      { kind: 'dropped', path: 'services.app.ports[5]', message: /published on ::1 only/ },
      { kind: 'dropped', path: 'services.app.ports[7]', message: /random host port/ },
      { kind: 'dropped', path: 'services.app.ports[9]', message: /protocol sctp/ },
    ],
  },
  {
    name: 'volumes in short and long forms: bind, named, anonymous, host paths and the Docker socket',
    compose: [
      'services:', '  app:', '    image: app', '    volumes:',
      '      - ./config:/config', '      - data:/data:ro', '      - /var/cache/app', '      - /etc/localtime:/etc/localtime:ro',
      '      - /srv/media:/media:z', '      - /var/run/docker.sock:/var/run/docker.sock', '      - ~/notes:/notes', '      - ../shared:/shared',
      '      - type: bind', '        source: ./html', '        target: /var/www', '        read_only: true',
      '      - type: volume', '        source: db', '        target: /db', '        volume: { nocopy: true }',
      '      - type: tmpfs', '        target: /tmp',
      'volumes:', '  data: {}', '  db:', '    external: true', '',
    ].join('\n'),
    spec: {
      [`${C}.app.volumes`]: [
        './config:/config', 'data:/data:ro', 'app-var-cache-app:/var/cache/app', '/etc/localtime:/etc/localtime:ro', '/srv/media:/media',
        '/var/run/docker.sock:/var/run/docker.sock', '../shared:/shared', './html:/var/www:ro', 'db:/db',
      ],
    },
    entries: [
      { kind: 'manual', path: 'services.app.volumes[0]', message: /now lives in <dataRoot>\/app\/config.*\/compose\/app\/config/ },
      { kind: 'changed', path: 'services.app.volumes[2]', message: /anonymous volume \/var\/cache\/app became the named volume app-var-cache-app/ },
      { kind: 'flagged', path: 'services.app.volumes[4]', message: /allowedHostPaths/ },
      { kind: 'dropped', path: 'services.app.volumes[4]', message: /SELinux/ },
      { kind: 'flagged', path: 'services.app.volumes[5]', message: /Docker socket/ },
      { kind: 'dropped', path: 'services.app.volumes[6]', message: /home directory/ },
      { kind: 'manual', path: 'services.app.volumes[7]', message: /outside the app's data directory/ },
      { kind: 'dropped', path: 'services.app.volumes[9].volume.nocopy', message: /mount options/ },
      { kind: 'dropped', path: 'services.app.volumes[10]', message: /tmpfs mount is not in the spec/ },
      { kind: 'manual', path: 'volumes.db.external', message: /new, empty volume amahi_app_db/ },
    ],
    invalid: [/volumes\[4\]: host path \/srv\/media/, /volumes\[5\]: .*Docker socket/, /volumes\[6\]: .*escapes the app's data directory/],
  },
  {
    name: 'depends_on in list and condition forms, across renamed services',
    compose: [
      'services:', '  web:', '    image: app', '    ports: ["80:80"]', '    depends_on:',
      '      My_DB: { condition: service_healthy, restart: true }', '      migrate: { condition: service_completed_successfully }', '      cache: { condition: service_started }',
      '  worker:', '    image: app', '    depends_on: [My_DB, cache]',
      '  My_DB:', '    image: postgres:16', '    healthcheck: { test: "pg_isready", interval: 5s }',
      '  migrate:', '    image: app', '    restart: "no"', '  cache:', '    image: redis', '',
    ].join('\n'),
    spec: {
      'spec.web': { container: 'web', port: 80 },
      [`${C}.web.dependsOn`]: { 'my-db': 'healthy', migrate: 'completed', cache: 'started' },
      [`${C}.worker.dependsOn`]: { 'my-db': 'started', cache: 'started' },
      [`${C}.migrate.restart`]: 'no',
    },
    entries: [
      { kind: 'changed', path: 'services.My_DB', message: /container key my-db/ },
      { kind: 'dropped', path: 'services.web.depends_on.My_DB.restart' },
    ],
  },
  {
    name: 'healthchecks: string and list tests, durations, disable',
    compose: [
      'services:', '  a:', '    image: app',
      '    healthcheck: { test: ["CMD", "wget", "-qO-", "http://localhost/"], interval: 1m30s, timeout: 5s, retries: 3, start_period: 10s, start_interval: 1s }',
      '  b:', '    image: app', '    healthcheck: { test: "curl -f http://localhost || exit 1", interval: 2 }',
      '  c:', '    image: app', '    healthcheck: { disable: true }', '',
    ].join('\n'),
    spec: {
      [`${C}.a.healthcheck`]: { test: ['CMD', 'wget', '-qO-', 'http://localhost/'], interval: '1m30s', timeout: '5s', startPeriod: '10s', retries: 3 },
      [`${C}.b.healthcheck`]: { test: 'curl -f http://localhost || exit 1' },
      [`${C}.c.healthcheck`]: { disable: true },
    },
    entries: [
      { kind: 'dropped', path: 'services.a.healthcheck.start_interval' },
      { kind: 'dropped', path: 'services.b.healthcheck.interval', message: /not a duration/ },
    ],
  },
  {
    name: 'resources from deploy.resources.limits, and from mem_limit, cpus and pids_limit',
    compose: [
      'services:', '  a:', '    image: app', '    mem_limit: 1g',
      '    deploy: { replicas: 1, resources: { limits: { cpus: "0.5", memory: 256M, pids: 100 }, reservations: { memory: 64M } }, restart_policy: { condition: on-failure, max_attempts: 3 }, placement: { constraints: [] } }',
      '  b:', '    image: app', '    mem_limit: 1.5g', '    cpus: 2', '    pids_limit: 50', '    memswap_limit: 2g', '',
    ].join('\n'),
    spec: {
      [`${C}.a.resources`]: { cpus: 0.5, memory: '256Mi', pids: 100 },
      [`${C}.a.restart`]: 'on-failure',
      [`${C}.b.resources`]: { cpus: 2, memory: '1.5Gi', pids: 50 },
    },
    entries: [
      { kind: 'dropped', path: 'services.a.mem_limit', message: /deploy\.resources\.limits\.memory is set too/ },
      { kind: 'dropped', path: 'services.a.deploy.resources.reservations' },
      { kind: 'dropped', path: 'services.a.deploy.restart_policy.max_attempts' },
      { kind: 'dropped', path: 'services.a.deploy.placement', message: /Swarm/ },
      { kind: 'changed', path: 'services.a.deploy.resources.limits.memory', message: /256M -> 256Mi/ },
      { kind: 'dropped', path: 'services.b.memswap_limit' },
    ],
  },
  {
    name: 'stop_grace_period, init, user, hostname and restart with a retry count',
    compose: `services:\n  app:\n    image: app\n    stop_grace_period: 1m\n    init: true\n    user: 1000\n    hostname: Media-Box\n    restart: on-failure:5\n`,
    spec: { [`${C}.app.stopGracePeriod`]: '1m', [`${C}.app.init`]: true, [`${C}.app.user`]: '1000', [`${C}.app.hostname`]: 'media-box', [`${C}.app.restart`]: 'on-failure' },
    entries: [{ kind: 'changed', path: 'services.app.restart', message: /no retry limit/ }],
  },
  {
    name: 'what the host policy refuses is carried over and flagged: privileged, capabilities, devices, host namespaces',
    compose: [
      'services:', '  vpn:', '    image: vpn', '    privileged: true', '    cap_add: [NET_ADMIN, CAP_SYS_MODULE]', '    cap_drop: [ALL]',
      '    devices: ["/dev/net/tun:/dev/net/tun", "nvidia.com/gpu=all"]', '    network_mode: host', '    pid: host', '    ipc: host', '',
    ].join('\n'),
    spec: {
      [`${C}.vpn.privileged`]: true, [`${C}.vpn.capAdd`]: ['NET_ADMIN', 'SYS_MODULE'], [`${C}.vpn.devices`]: ['/dev/net/tun:/dev/net/tun'],
      [`${C}.vpn.hostNetwork`]: true, [`${C}.vpn.hostPID`]: true, [`${C}.vpn.hostIPC`]: true, 'spec.web': undefined,
    },
    entries: [
      { kind: 'flagged', path: 'services.vpn.privileged', message: /allowPrivileged/ },
      { kind: 'flagged', path: 'services.vpn.cap_add', message: /NET_ADMIN/ },
      { kind: 'flagged', path: 'services.vpn.devices[0]', message: /allowedDevices/ },
      { kind: 'dropped', path: 'services.vpn.devices[1]', message: /only host device paths/ },
      { kind: 'flagged', path: 'services.vpn.network_mode', message: /allowHostNamespaces/ },
      { kind: 'flagged', path: 'services.vpn.pid' },
      { kind: 'flagged', path: 'services.vpn.ipc' },
      { kind: 'dropped', path: 'services.vpn.cap_drop' },
    ],
    invalid: [/privileged/, /capAdd\[0\]/, /capAdd\[1\]/, /devices\[0\]/, /hostNetwork/, /hostPID/, /hostIPC/],
  },
  {
    name: 'a service on the host network: its ports are ignored (as Docker does) and it is not the web container',
    compose: `services:\n  hass:\n    image: homeassistant/home-assistant\n    network_mode: host\n    ports: ["8123:8123"]\n`,
    spec: { [`${C}.hass.hostNetwork`]: true, [`${C}.hass.ports`]: undefined, 'spec.web': undefined },
    entries: [
      { kind: 'dropped', path: 'services.hass.ports[0]', message: /ignored on the host network/ },
      { kind: 'note', path: '', message: /headless/ },
    ],
    invalid: [/hostNetwork/],
  },
  {
    name: 'keys with no place in the spec are listed one by one with the reason',
    compose: [
      'services:', '  app:', '    image: app', '    container_name: my-app', '    networks: [front]', '    labels: { a: b }',
      '    logging: { driver: syslog }', '    extra_hosts: ["db:10.0.0.2"]', '    dns: 1.1.1.1', '    working_dir: /srv', '    secrets: [token]',
      '    read_only: true', '    tmpfs: /run', '    shm_size: 1g', '    security_opt: ["no-new-privileges:true"]', '    frobnicate: yes',
      '    x-note: hi', '  debug:', '    image: busybox', '    profiles: [debug]',
      'networks: { front: {} }', 'secrets: { token: { file: ./token } }', 'include: [other.yml]', '',
    ].join('\n'),
    spec: { [`${C}.app.image`]: 'app', [`${C}.debug`]: undefined },
    entries: [
      { kind: 'dropped', path: 'services.app.container_name', message: /names derive from the app: the container is app_app/ },
      { kind: 'dropped', path: 'services.app.networks', message: /one network of its own/ },
      { kind: 'dropped', path: 'services.app.labels', message: /owns the labels/ },
      { kind: 'dropped', path: 'services.app.logging' },
      { kind: 'dropped', path: 'services.app.extra_hosts' },
      { kind: 'dropped', path: 'services.app.dns' },
      { kind: 'dropped', path: 'services.app.working_dir', message: /WORKDIR/ },
      { kind: 'dropped', path: 'services.app.secrets' },
      { kind: 'dropped', path: 'services.app.read_only' },
      { kind: 'dropped', path: 'services.app.tmpfs' },
      { kind: 'dropped', path: 'services.app.shm_size' },
      { kind: 'dropped', path: 'services.app.security_opt' },
      { kind: 'dropped', path: 'services.app.frobnicate', message: /not a Compose service field/ },
      { kind: 'note', path: 'services.app.x-note', message: /extension field/ },
      { kind: 'dropped', path: 'services.debug', message: /only started with a profile \(debug\)/ },
      { kind: 'dropped', path: 'networks' },
      { kind: 'dropped', path: 'secrets' },
      { kind: 'manual', path: 'include' },
    ],
  },
  {
    name: 'a sibling that reaches a container by its container_name is pointed at the container key',
    compose: `services:\n  app:\n    image: app\n    ports: ["3000:3000"]\n    environment: { DB_HOST: shop-db }\n  db:\n    image: mariadb\n    container_name: shop-db\n`,
    spec: { 'spec.web': { container: 'app', port: 3000 } },
    entries: [{ kind: 'manual', path: 'services.app', message: /mentions shop-db.*container key db/ }],
  },
  {
    name: 'the web port: an explicit http app_protocol wins over a usual HTTP port of an earlier service',
    compose: `services:\n  admin:\n    image: admin\n    ports: ["8081:8081"]\n  ui:\n    image: ui\n    ports:\n      - { target: 4000, published: 4000, app_protocol: http }\n`,
    spec: { 'spec.web': { container: 'ui', port: 4000 }, [`${C}.admin.ports`]: ['8081:8081'], [`${C}.ui.ports`]: undefined },
  },
  {
    name: 'the web port: a loopback-bound port (for a local reverse proxy) when no usual HTTP port is published',
    compose: `services:\n  app:\n    image: app\n    ports: ["2022:22", "127.0.0.1:4567:4567"]\n`,
    spec: { 'spec.web': { port: 4567 }, [`${C}.app.ports`]: ['2022:22'] },
  },
  {
    name: 'the web port: an exposed-only HTTP port when nothing is published',
    compose: `services:\n  app:\n    image: app\n    expose: ["8000"]\n  db:\n    image: postgres\n    expose: ["5432"]\n`,
    spec: { 'spec.web': { container: 'app', port: 8000 } },
    entries: [{ kind: 'dropped', path: 'services.db.expose[0]', message: /not needed/ }],
  },
  {
    name: 'the web port given with --web-container and --web-port',
    compose: `services:\n  app:\n    image: app\n    ports: ["80:80"]\n  admin:\n    image: admin\n    ports: ["9090:9090"]\n`,
    options: { webContainer: 'admin', webPort: 9090 },
    spec: { 'spec.web': { container: 'admin', port: 9090 }, [`${C}.app.ports`]: ['80:80'], [`${C}.admin.ports`]: undefined },
    // Host port 80 is the reverse proxy's on the host: the imported spec keeps it, and validate explains.
    invalid: [/ports\[0\]: host port 80 is used by the reverse proxy \(proxy.listenPort\) on this host/],
  },
  {
    name: 'no HTTP port at all: a headless app',
    compose: `services:\n  db:\n    image: postgres\n    ports: ["5432:5432"]\n`,
    spec: { 'spec.web': undefined, [`${C}.db.ports`]: ['5432:5432'] },
    entries: [{ kind: 'note', path: '', message: /headless/ }],
  },
  {
    name: 'build in string and long form: the context becomes relative to the spec file',
    compose: `services:\n  a:\n    build: ./a\n    ports: ["80:80"]\n  b:\n    image: me/b:1\n    build:\n      context: b\n      dockerfile: Dockerfile.prod\n      args: ["VERSION=2", "FROM_ENV"]\n      target: prod\n`,
    options: { environment: { FROM_ENV: 'x' }, outputDir: '/compose' },
    spec: {
      [`${C}.a.build`]: { context: './app/a' },
      [`${C}.b.build`]: { context: './app/b', dockerfile: 'Dockerfile.prod', args: { VERSION: '2', FROM_ENV: 'x' } },
      [`${C}.b.image`]: 'me/b:1',
    },
    entries: [{ kind: 'dropped', path: 'services.b.build.target' }, { kind: 'changed', path: 'services.a.build.context' }],
  },
  {
    name: 'a fixed host port inside the range reserved for web ports is kept, and validate explains it',
    compose: `services:\n  torrent:\n    image: t\n    ports: ["9091:9091", "51413:51413", "51413:51413/udp"]\n`,
    spec: { 'spec.web': { port: 9091 }, [`${C}.torrent.ports`]: ['51413:51413', '51413:51413/udp'] },
    entries: [{ kind: 'manual', path: 'services.torrent.ports[1]', message: /reserves for web ports \(35001-65000\)/ }],
    invalid: [/ports\[0\]: host port 51413 lies in the range reserved/, /ports\[1\]: host port 51413 lies in the range reserved/],
  },
];

describe('importing compose shapes', () => {
  for (const c of cases) {
    test(c.name, () => {
      const result = importText(c.compose, c.options);
      for (const [path, expected] of Object.entries(c.spec)) {
        assert.deepEqual(valueAt(result.spec, path), expected, `${path} in\n${result.text}`);
      }
      for (const entry of c.entries ?? []) assertEntry(result.report.entries, entry);
      const problems = validationProblems(result);
      assert.equal(problems.length, c.invalid?.length ?? 0, `validation problems:\n${problems.join('\n')}\n${result.text}`);
      for (const pattern of c.invalid ?? []) assert.ok(problems.some((p) => pattern.test(p)), `a problem matching ${pattern}:\n${problems.join('\n')}`);
      assert.match(result.text, /^# yaml-language-server: \$schema=/);
    });
  }
});

test('every key of a service is accounted for: carried over, or named in the report', () => {
  const keys = ['image', 'command', 'environment', 'ports', 'volumes', 'restart', 'labels', 'logging', 'ulimits', 'sysctls', 'dns_search', 'tty', 'stdin_open', 'platform', 'pull_policy', 'stop_signal', 'gpus', 'runtime', 'extends', 'volumes_from'];
  const compose = `services:\n  app:\n${keys.map((key) => `    ${key}: ${key === 'image' ? 'app' : key === 'restart' ? 'always' : key === 'environment' ? '{A: "1"}' : ['command', 'ports', 'volumes', 'dns_search', 'volumes_from'].includes(key) ? '[]' : key === 'extends' ? '{service: base}' : 'x'}`).join('\n')}\n`;
  const result = importText(compose);
  const carried = new Set(['image', 'command', 'environment', 'ports', 'volumes', 'restart']);
  for (const key of keys.filter((k) => !carried.has(k))) {
    assertEntry(result.report.entries, { kind: 'dropped', path: `services.app.${key}` });
  }
});

test('the report text groups entries by what the user must do', async () => {
  const { formatReport } = await import('../../src/import/report.js');
  const text = formatReport(importText(`services:\n  app:\n    image: app\n    privileged: true\n    labels: [a]\n    ports: ["80:80"]\n`).report);
  assert.match(text, /^docker-compose\.yml \(compose file\) -> app "app" with 1 container\(s\): app\nweb: container app, port 80: /);
  assert.ok(text.indexOf('policy refuses') < text.indexOf('not carried over'), text);
  assert.match(text, /\n {2}services\.app\.privileged: a privileged container controls the host/);
});
