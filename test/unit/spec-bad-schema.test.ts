/**
 * Bad spec files, part 2: what the schema catches. Missing and wrong-typed fields, values out of
 * range, unknown keys at every level (with a hint for Compose habits and typos), and hostile strings
 * — newlines, quotes and Apache directives — in names, host names and aliases.
 */
import { describe, test } from 'node:test';
import { checkBadSpec, head, inContainer, inSpec, inWeb, type BadSpec } from '../helpers/bad-specs.js';

const minimal = (body: string): string => `${body}\n`;

const required: BadSpec[] = [
  { name: 'no apiVersion', text: minimal('kind: App\nmetadata: { name: demo }\nspec: { containers: { web: { image: x } } }'), path: '', line: 1, message: /missing required field "apiVersion"/ },
  { name: 'the wrong apiVersion', text: minimal('apiVersion: v1  # <--\nkind: App\nmetadata: { name: demo }\nspec: { containers: { web: { image: x } } }'), path: 'apiVersion', col: 13, message: /must be "amahi.org\/v1", not "v1"/ },
  { name: 'the wrong kind', text: minimal('apiVersion: amahi.org/v1\nkind: Deployment  # <--\nmetadata: { name: demo }\nspec: { containers: { web: { image: x } } }'), path: 'kind', message: /must be "App", not "Deployment"/ },
  { name: 'no metadata', text: minimal('apiVersion: amahi.org/v1\nkind: App\nspec: { containers: { web: { image: x } } }'), path: '', line: 1, message: /missing required field "metadata"/ },
  { name: 'no metadata.name', text: minimal('apiVersion: amahi.org/v1\nkind: App\nmetadata:  # <--\n  title: Demo\nspec: { containers: { web: { image: x } } }'), path: 'metadata', col: 1, message: /missing required field "name"/ },
  { name: 'no spec.containers', text: minimal(`${head()}  web: { port: 80 }`), path: 'spec', line: 5, message: /missing required field "containers"/ },
  { name: 'no web.port', text: inWeb('hostname: demo').replace('    port: 80\n', ''), path: 'spec.web', line: 9, message: /missing required field "port"/ },
  { name: 'an empty containers mapping', text: minimal(`${head()}  containers: {}  # <--`), path: 'spec.containers', message: /must have at least 1 entry/ },
  { name: 'an empty web section', text: minimal(`${head()}  containers: { web: { image: x } }\n  web:  # <--`), path: 'spec.web', message: /must be a mapping, not empty/ },
];

const types: BadSpec[] = [
  { name: 'containers as a list', text: minimal(`${head()}  containers:  # <--\n    - image: x`), path: 'spec.containers', message: /must be a mapping, not a list/ },
  { name: 'a web port in words', text: inSpec('').replace('port: 80', 'port: eighty  # <--'), path: 'spec.web.port', message: /must be a whole number, not "eighty"/ },
  { name: 'web port 0', text: inSpec('').replace('port: 80', 'port: 0  # <--'), path: 'spec.web.port', message: /0 is out of range: must be at least 1\. Allowed: A TCP\/UDP port number, 1-65535/ },
  { name: 'web port 70000', text: inSpec('').replace('port: 80', 'port: 70000  # <--'), path: 'spec.web.port', message: /70000 is out of range: must be at most 65535/ },
  { name: 'a fractional web port', text: inSpec('').replace('port: 80', 'port: 80.5  # <--'), path: 'spec.web.port', message: /must be a whole number, not the number 80.5/ },
  { name: 'an infinite id', text: inSpec('id: .inf  # <--'), path: 'spec.id', message: /must be a whole number, not an infinite number/ },
  { name: 'an id of 400 digits', text: inSpec(`id: 1${'0'.repeat(400)}  # <--`), path: 'spec.id', message: /must be a whole number, not an infinite number/ },
  { name: 'an id of twenty digits', text: inSpec('id: 99999999999999999999  # <--'), path: 'spec.id', message: /100000000000000000000 is out of range: must be at most 30000\. Allowed: Stable app id/ },
  { name: 'a negative id', text: inSpec('id: -1  # <--'), path: 'spec.id', message: /-1 is out of range: must be at least 1/ },
  { name: 'websockets: yes (a string in YAML 1.2)', text: inWeb('websockets: yes  # <--'), path: 'spec.web.websockets', message: /must be true or false, not "yes"/ },
  { name: 'an unknown restart policy', text: inContainer('restart: sometimes  # <--'), path: 'spec.containers.web.restart', message: /"sometimes" is not allowed; must be one of: no, always, on-failure, unless-stopped/ },
  { name: 'restart: false', text: inContainer('restart: false  # <--'), path: 'spec.containers.web.restart', message: /false is not allowed; must be one of: no, always/ },
  { name: 'init as a string', text: inContainer('init: "true"  # <--'), path: 'spec.containers.web.init', message: /must be true or false, not "true"/ },
  { name: 'env as a list (Compose style)', text: inContainer('env:  # <--\n  - A=1'), path: 'spec.containers.web.env', message: /must be a mapping, not a list/ },
  { name: 'an env value that is a mapping', text: inContainer('env:\n  A: { b: 1 }  # <--'), path: 'spec.containers.web.env.A', message: /must be a string, a number or a boolean, not a mapping/ },
  { name: 'an empty env value', text: inContainer('env:\n  A:  # <--'), path: 'spec.containers.web.env.A', message: /must be a string, a number or a boolean, not empty/ },
  { name: 'an env name with a dash', text: inContainer('env:\n  MY-VAR: "1"  # <--'), path: 'spec.containers.web.env.MY-VAR', col: 9, message: /"MY-VAR" is not a valid name here\. Allowed: An environment variable name/ },
  { name: 'ports as a string', text: inContainer('ports: "80:80"  # <--'), path: 'spec.containers.web.ports', message: /must be a list, not "80:80"/ },
  { name: 'a port without a host side', text: inContainer('ports: ["80"]  # <--'), path: 'spec.containers.web.ports[0]', message: /"80" is not allowed\. Allowed: HOST:CONTAINER or HOST:CONTAINER\/udp/ },
  { name: 'a port bound to an address', text: inContainer('ports: ["0.0.0.0:80:80"]  # <--'), path: 'spec.containers.web.ports[0]', message: /"0.0.0.0:80:80" is not allowed/ },
  { name: 'a port as a number', text: inContainer('ports:\n  - 8080  # <--'), path: 'spec.containers.web.ports[0]', message: /must be a string, not the number 8080/ },
  { name: 'a volume too short to mean anything', text: inContainer('volumes: ["a"]  # <--'), path: 'spec.containers.web.volumes[0]', message: /"a" is too short; at least 3 characters/ },
  { name: 'negative healthcheck retries', text: inContainer('healthcheck: { test: "true", retries: -1 }  # <--'), path: 'spec.containers.web.healthcheck.retries', message: /-1 is out of range: must be at least 0/ },
  { name: 'a duration without a unit', text: inContainer('healthcheck: { test: "true", interval: "30" }  # <--'), path: 'spec.containers.web.healthcheck.interval', message: /"30" is not allowed\. Allowed: A duration such as 30s, 1m30s, 500ms or 2h/ },
  { name: 'a duration in words', text: inContainer('stopGracePeriod: ten seconds  # <--'), path: 'spec.containers.web.stopGracePeriod', message: /"ten seconds" is not allowed/ },
  { name: 'zero cpus', text: inContainer('resources: { cpus: 0 }  # <--'), path: 'spec.containers.web.resources.cpus', message: /0 is out of range: must be more than 0/ },
  { name: 'two thousand cpus', text: inContainer('resources: { cpus: 2000 }  # <--'), path: 'spec.containers.web.resources.cpus', message: /2000 is out of range: must be at most 1024/ },
  { name: 'an astronomically large cpus value', text: inContainer('resources: { cpus: 1e309 }  # <--'), path: 'spec.containers.web.resources.cpus', message: /must be a number, not an infinite number/ },
  { name: 'memory in words', text: inContainer('resources: { memory: lots }  # <--'), path: 'spec.containers.web.resources.memory', message: /"lots" is not allowed\. Allowed: Memory limit, at least 4Mi/ },
  { name: 'one byte of memory', text: inContainer('resources: { memory: 1 }  # <--'), path: 'spec.containers.web.resources.memory', message: /1 is out of range: must be at least 4194304/ },
  { name: 'zero pids', text: inContainer('resources: { pids: 0 }  # <--'), path: 'spec.containers.web.resources.pids', message: /0 is out of range: must be at least 1/ },
  { name: 'a lower-case capability', text: inContainer('capAdd: [net_admin]  # <--'), path: 'spec.containers.web.capAdd[0]', message: /"net_admin" is not allowed\. Allowed: A capability name in capitals/ },
  { name: 'a capability listed twice', text: inContainer('capAdd: [NET_ADMIN, NET_ADMIN]  # <--'), path: 'spec.containers.web.capAdd', message: /items 0 and 1 are the same; each may appear once/ },
  { name: 'a device outside /dev', text: inContainer('devices: ["/etc/passwd"]  # <--'), path: 'spec.containers.web.devices[0]', message: /"\/etc\/passwd" is not allowed\. Allowed: \/dev\/HOST/ },
  { name: 'an unknown dependsOn condition', text: inContainer('dependsOn: { db: ready }  # <--'), path: 'spec.containers.web.dependsOn.db', message: /"ready" is not allowed; must be one of: started, healthy, completed/ },
  { name: 'an unknown update policy', text: inSpec('update: { policy: nightly }  # <--'), path: 'spec.update.policy', message: /"nightly" is not allowed; must be one of: manual, auto/ },
  { name: 'fifty-one containers', text: minimal(`${head()}  containers:  # <--\n${Array.from({ length: 51 }, (_, i) => `    c${i}: { image: x }`).join('\n')}`), path: 'spec.containers', message: /has 51 entries; at most 50 allowed/ },
  { name: 'thirty-three aliases', text: inWeb(`aliases: [${Array.from({ length: 33 }, (_, i) => `a${i}`).join(', ')}]  # <--`), path: 'spec.web.aliases', message: /has 33 items; at most 32 allowed/ },
  { name: 'a command that is a mapping', text: inContainer('command: { run: x }  # <--'), path: 'spec.containers.web.command', message: /must be a string or a list, not a mapping/ },
  { name: 'a number in a command list', text: inContainer('command: [sleep, 10]  # <--'), path: 'spec.containers.web.command[1]', message: /must be a string, not the number 10/ },
  { name: 'a shell command as the user', text: inContainer('user: "root; rm -rf /"  # <--'), path: 'spec.containers.web.user', message: /"root; rm -rf \/" is not allowed\. Allowed: User \(and group\)/ },
  { name: 'an image with upper-case letters in its name', text: inContainer('').replace('image: amahi-demo/httpd:1', 'image: Amahi/Httpd  # <--'), path: 'spec.containers.web.image', message: /"Amahi\/Httpd" is not allowed\. Allowed: Image reference/ },
  { name: 'an empty image', text: inContainer('').replace('image: amahi-demo/httpd:1', 'image: ""  # <--'), path: 'spec.containers.web.image', message: /must not be empty/ },
  { name: 'a container host name with an underscore', text: inContainer('hostname: my_host  # <--'), path: 'spec.containers.web.hostname', message: /"my_host" is not allowed\. Allowed: A host name/ },
];

const unknownKeys: BadSpec[] = [
  { name: 'an unknown field in the document', text: `extra: 1  # <--\n${inContainer('init: true')}`, path: 'extra', message: /unknown field "extra"; allowed here: apiVersion, kind, metadata, spec/ },
  { name: 'labels in metadata', text: inContainer('init: true').replace('  name: demo\n', '  name: demo\n  labels: { a: b }  # <--\n'), path: 'metadata.labels', message: /unknown field "labels"; allowed here: name/ },
  { name: 'services in spec', text: inSpec('services: {}  # <--'), path: 'spec.services', message: /unknown field "services"; allowed here: id, web, containers, update/ },
  { name: 'ssl in web', text: inWeb('ssl: true  # <--'), path: 'spec.web.ssl', message: /unknown field "ssl"; allowed here: container, port, hostname, aliases, websockets/ },
  { name: 'Compose environment in a container', text: inContainer('environment: { A: "1" }  # <--'), path: 'spec.containers.web.environment', message: /unknown field "environment" \(use "env" \(a mapping of NAME: value\)\)/ },
  { name: 'Compose depends_on', text: inContainer('depends_on: [db]  # <--'), path: 'spec.containers.web.depends_on', message: /\(use "dependsOn"/ },
  { name: 'Compose container_name', text: inContainer('container_name: APP_IDENTIFIER  # <--'), path: 'spec.containers.web.container_name', message: /containers are always named <app>_<key>; leave it out/ },
  { name: 'a typo of image', text: inContainer('imgae: x  # <--'), path: 'spec.containers.web.imgae', message: /unknown field "imgae" \(did you mean "image"\?\)/ },
  { name: 'a snake_case field', text: inContainer('stop_grace_period: 10s  # <--'), path: 'spec.containers.web.stop_grace_period', message: /use "stopGracePeriod"/ },
  { name: 'a wrongly cased field', text: inContainer('CapAdd: [NET_ADMIN]  # <--'), path: 'spec.containers.web.CapAdd', message: /did you mean "capAdd"\?/ },
  { name: 'an unknown field in build', text: inContainer('build: { context: ., target: prod }  # <--'), path: 'spec.containers.web.build.target', message: /unknown field "target"; allowed here: context, dockerfile, args/ },
  { name: 'Compose start_period in a healthcheck', text: inContainer('healthcheck:\n  test: "true"\n  start_period: 5s  # <--'), path: 'spec.containers.web.healthcheck.start_period', message: /use "startPeriod"/ },
  { name: 'an unknown resource', text: inContainer('resources:\n  gpus: 1  # <--'), path: 'spec.containers.web.resources.gpus', message: /unknown field "gpus"; allowed here: cpus, memory, pids/ },
  { name: 'an unknown field in update', text: inSpec('update:\n  schedule: daily  # <--'), path: 'spec.update.schedule', message: /unknown field "schedule"; allowed here: policy/ },
];

const hostileStrings: BadSpec[] = [
  { name: 'an app name with capitals', text: inContainer('init: true', 'Hydra').replace('name: Hydra', 'name: Hydra  # <--'), path: 'metadata.name', message: /"Hydra" is not allowed\. Allowed: An app name: a DNS-1123 label/ },
  { name: 'an app name starting with a digit', text: inContainer('init: true').replace('name: demo', 'name: 1app  # <--'), path: 'metadata.name', message: /"1app" is not allowed/ },
  { name: 'an app name ending with a dash', text: inContainer('init: true').replace('name: demo', 'name: app-  # <--'), path: 'metadata.name', message: /"app-" is not allowed/ },
  { name: 'an app name of 41 characters', text: inContainer('init: true').replace('name: demo', `name: ${'a'.repeat(41)}  # <--`), path: 'metadata.name', message: /is too long \(41 characters\); at most 40 allowed/ },
  { name: 'an Apache directive smuggled into the app name', text: inContainer('init: true').replace('name: demo', 'name: "demo\\nInclude /etc/shadow"  # <--'), path: 'metadata.name', message: /"demo\\nInclude \/etc\/shadow" is not allowed/ },
  { name: 'a quote in the app name', text: inContainer('init: true').replace('name: demo', `name: 'de"mo'  # <--`), path: 'metadata.name', message: /"de\\"mo" is not allowed/ },
  { name: 'a path in the app name', text: inContainer('init: true').replace('name: demo', 'name: ../../etc  # <--'), path: 'metadata.name', message: /"\.\.\/\.\.\/etc" is not allowed/ },
  { name: 'an empty app name', text: inContainer('init: true').replace('name: demo', 'name: ""  # <--'), path: 'metadata.name', message: /must not be empty/ },
  { name: 'an app name that is a number', text: inContainer('init: true').replace('name: demo', 'name: 42  # <--'), path: 'metadata.name', message: /must be a string, not the number 42/ },
  { name: 'a host name that closes the virtual host', text: inWeb('hostname: "demo\\n</VirtualHost>\\n<VirtualHost *:80>"  # <--'), path: 'spec.web.hostname', message: /"demo\\n<\/VirtualHost>\\n<VirtualHost \*:80>" is not allowed\. Allowed: A host name/ },
  { name: 'a host name with capitals', text: inWeb('hostname: Wiki  # <--'), path: 'spec.web.hostname', message: /"Wiki" is not allowed/ },
  { name: 'a host name with a trailing dot', text: inWeb('hostname: wiki.  # <--'), path: 'spec.web.hostname', message: /"wiki\." is not allowed/ },
  { name: 'an alias carrying a ProxyPass directive', text: inWeb('aliases: ["evil.example ProxyPass / http://attacker/"]  # <--'), path: 'spec.web.aliases[0]', message: /"evil.example ProxyPass \/ http:\/\/attacker\/" is not allowed/ },
  { name: 'a wildcard alias', text: inWeb('aliases: ["*.example.com"]  # <--'), path: 'spec.web.aliases[0]', message: /"\*\.example\.com" is not allowed/ },
  { name: 'an alias with a newline', text: inWeb('aliases:\n  - ok\n  - "x\\r\\nServerAlias evil"  # <--'), path: 'spec.web.aliases[1]', message: /"x\\r\\nServerAlias evil" is not allowed/ },
  { name: 'a container key with capitals', text: minimal(`${head()}  containers:\n    Web:  # <--\n      image: x`), path: 'spec.containers.Web', col: 5, message: /"Web" is not a valid name here\. Allowed: A container key/ },
  { name: 'a container key with an underscore', text: minimal(`${head()}  containers:\n    my_web:  # <--\n      image: x`), path: 'spec.containers.my_web', message: /"my_web" is not a valid name here/ },
  { name: 'an env name with a newline', text: inContainer('env:\n  "A\\nB": "1"  # <--'), path: 'spec.containers.web.env["A\\nB"]', message: /"A\\nB" is not a valid name here/ },
  { name: 'a field name with a newline', text: inContainer('"ima\\nge": x  # <--'), path: 'spec.containers.web["ima\\nge"]', message: /unknown field "ima\\nge"/ },
  { name: 'a dependsOn key that is not a container key', text: inContainer('dependsOn: { DB: started }  # <--'), path: 'spec.containers.web.dependsOn.DB', message: /"DB" is not a valid name here/ },
  { name: 'a control character in a volume', text: inContainer('volumes: ["./a\\u0007:/a"]  # <--'), path: 'spec.containers.web.volumes[0]', message: /"\.\/a\\u0007:\/a" is not allowed/ },
];

describe('bad spec files: the schema', () => {
  for (const [group, cases] of Object.entries({ 'missing fields': required, 'wrong types and ranges': types, 'unknown keys': unknownKeys, 'hostile strings': hostileStrings })) {
    describe(group, () => {
      for (const spec of cases) test(`${spec.name} is refused with a located message`, () => void checkBadSpec(spec));
    });
  }
});
