/** Vhost rendering for Apache and nginx, and the managed marker: table-driven, pure. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseVhostMarker, renderVhost, type VhostContext } from '../../src/core/vhost.js';
import { sha256 } from '../../src/core/hash.js';
import type { AppSpec } from '../../src/model/spec.js';
import { specFrom } from '../helpers/fixtures.js';

const hydra = specFrom(`
apiVersion: amahi.org/v1
kind: App
metadata: { name: hydra }
spec:
  web: { port: 5075, aliases: [nzbhydra, hydra.example.org] }
  containers:
    hydra: { image: "docker.io/linuxserver/hydra:latest" }
`);
const ctx: VhostContext = { instance: 'default', domain: 'home.test', dataRoot: '/var/hda/apps', publishAddress: '127.0.0.1', listenPort: 80 };
const withoutWebsockets = (spec: AppSpec): AppSpec => ({ ...spec, web: spec.web && { ...spec.web, websockets: false } });
const bodyOf = (content: string): string => content.slice(content.indexOf('\n') + 1);

describe('Apache vhost', () => {
  test('follows the shape of Amahi app-container.conf, with the WebSocket upgrade', () => {
    const rendered = renderVhost('apache', hydra, 12, 35000, ctx);
    assert.equal(rendered.fileName, 'amahi-app-hydra.conf');
    assert.equal(bodyOf(rendered.content), [
      '<VirtualHost *:80>',
      '    ServerName hydra',
      '    ServerAlias hydra.home.test hydra.example.org nzbhydra',
      '',
      '    ProxyPreserveHost On',
      '    ProxyPass / http://127.0.0.1:35012/ upgrade=websocket',
      '    ProxyPassReverse / http://127.0.0.1:35012/',
      '',
      '    ErrorLog /var/hda/apps/hydra/logs/error_log',
      '    CustomLog /var/hda/apps/hydra/logs/access_log combined env=!dontlog',
      '</VirtualHost>',
      '',
    ].join('\n'));
  });

  test('leaves the upgrade out when the app turns WebSockets off', () => {
    const rendered = renderVhost('apache', withoutWebsockets(hydra), 12, 35000, ctx);
    assert.match(rendered.content, /^ {4}ProxyPass \/ http:\/\/127\.0\.0\.1:35012\/$/m);
    assert.doesNotMatch(rendered.content, /upgrade/);
  });

  test('listens on the configured port and proxies to loopback when ports are published on every address', () => {
    const rendered = renderVhost('apache', hydra, 3, 40000, { ...ctx, listenPort: 8080, publishAddress: '0.0.0.0' });
    assert.match(rendered.content, /^<VirtualHost \*:8080>$/m);
    assert.match(rendered.content, /ProxyPass \/ http:\/\/127\.0\.0\.1:40003\//);
  });
});

describe('nginx vhost', () => {
  test('serves the same routes as a server block with an app-specific Connection map', () => {
    const spec = { ...hydra, name: 'nzb-hydra' };
    const rendered = renderVhost('nginx', spec, 12, 35000, { ...ctx, listenAddress: '127.0.0.1', listenPort: 8081 });
    assert.equal(rendered.fileName, 'amahi-app-nzb-hydra.conf');
    assert.equal(bodyOf(rendered.content), [
      'map $http_upgrade $amahi_connection_nzb_hydra {',
      '    default upgrade;',
      "    ''      close;",
      '}',
      '',
      'server {',
      '    listen 127.0.0.1:8081;',
      '    server_name hydra hydra.home.test hydra.example.org nzbhydra;',
      '    access_log /var/hda/apps/nzb-hydra/logs/access_log combined;',
      '    error_log /var/hda/apps/nzb-hydra/logs/error_log;',
      '    client_max_body_size 0;',
      '',
      '    location / {',
      '        proxy_pass http://127.0.0.1:35012/;',
      '        proxy_http_version 1.1;',
      '        proxy_set_header Host $http_host;',
      '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
      '        proxy_set_header X-Forwarded-Host $http_host;',
      '        proxy_set_header X-Forwarded-Proto $scheme;',
      '        proxy_set_header Upgrade $http_upgrade;',
      '        proxy_set_header Connection $amahi_connection_nzb_hydra;',
      '    }',
      '}',
      '',
    ].join('\n'));
  });

  test('has no map and no upgrade headers without WebSockets, and listens on every address by default', () => {
    const rendered = renderVhost('nginx', withoutWebsockets(hydra), 12, 35000, ctx);
    assert.doesNotMatch(rendered.content, /map|Upgrade|Connection/);
    assert.match(rendered.content, /^ {4}listen 80;$/m);
  });
});

describe('managed marker', () => {
  const rendered = renderVhost('apache', hydra, 12, 35000, ctx);
  const cases: { name: string; content: string; expected: ReturnType<typeof parseVhostMarker> }[] = [
    {
      name: 'a rendered file is ours and intact',
      content: rendered.content,
      expected: { instance: 'default', app: 'hydra', hash: rendered.contentHash, intact: true },
    },
    {
      name: 'a file whose body was edited is ours but not intact',
      content: rendered.content.replace('ProxyPreserveHost On', 'ProxyPreserveHost Off'),
      expected: { instance: 'default', app: 'hydra', hash: rendered.contentHash, intact: false },
    },
    {
      name: 'a file saved with CRLF line ends is ours but not intact',
      content: rendered.content.replaceAll('\n', '\r\n'),
      expected: { instance: 'default', app: 'hydra', hash: rendered.contentHash, intact: false },
    },
    { name: 'a file without the marker is not ours', content: bodyOf(rendered.content), expected: undefined },
    { name: 'a marker that is not on the first line does not count', content: `\n${rendered.content}`, expected: undefined },
    { name: 'a marker of another tool does not count', content: rendered.content.replace('managed-by amahi-app-controller', 'managed-by someone-else'), expected: undefined },
    { name: 'a marker with a malformed hash does not count', content: rendered.content.replace(/hash=[a-f0-9]+/, 'hash=xyz'), expected: undefined },
    { name: 'an empty file is not ours', content: '', expected: undefined },
  ];
  for (const { name, content, expected } of cases) {
    test(name, () => assert.deepEqual(parseVhostMarker(content), expected));
  }

  test('the marker carries the instance, the app and the sha256 of the body', () => {
    const other = renderVhost('nginx', hydra, 12, 35000, { ...ctx, instance: 't-1a2b' });
    const firstLine = other.content.split('\n')[0];
    assert.equal(firstLine, `# managed-by amahi-app-controller instance=t-1a2b app=hydra hash=${sha256(bodyOf(other.content))}`);
    assert.equal(other.contentHash, sha256(bodyOf(other.content)));
  });

  test('rendering is deterministic', () => {
    assert.deepEqual(renderVhost('apache', hydra, 12, 35000, ctx), renderVhost('apache', hydra, 12, 35000, ctx));
    assert.deepEqual(renderVhost('nginx', hydra, 12, 35000, ctx), renderVhost('nginx', hydra, 12, 35000, ctx));
  });

  test('a headless app has no vhost to render', () => {
    assert.throws(() => renderVhost('apache', { ...hydra, web: undefined }, 12, 35000, ctx), { code: 'E_INTERNAL' });
  });
});
