/** Host names served by two apps: the holder keeps the name, the newcomer gets a conflict. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostnameConflicts } from '../../src/core/allocate.js';
import { specFrom } from '../helpers/fixtures.js';

const app = (name: string, web: string) => specFrom(`
apiVersion: amahi.org/v1
kind: App
metadata: { name: ${name} }
spec:
  web: ${web}
  containers:
    web: { image: "img:1" }
`);

const cases: { name: string; apps: ReturnType<typeof app>[]; installed: string[]; expected: Record<string, RegExp> }[] = [
  { name: 'distinct host names conflict with nothing', apps: [app('one', '{ port: 80 }'), app('two', '{ port: 80 }')], installed: [], expected: {} },
  {
    name: 'an alias equal to another app\'s host name goes to the first by name',
    apps: [app('blog', '{ port: 80 }'), app('wiki', '{ port: 80, aliases: [blog] }')], installed: [],
    expected: { wiki: /host name blog is already served by app "blog"/ },
  },
  {
    name: 'the installed app keeps the name even when it sorts later',
    apps: [app('alpha', '{ port: 80, hostname: site }'), app('zulu', '{ port: 80, hostname: site }')], installed: ['zulu'],
    expected: { alpha: /host name site is already served by app "zulu"/ },
  },
  {
    name: 'an alias equal to another app\'s <hostname>.<domain> conflicts too',
    apps: [app('mail', '{ port: 80 }'), app('webmail', '{ port: 80, aliases: [mail.home.test] }')], installed: ['mail'],
    expected: { webmail: /mail\.home\.test is already served by app "mail"/ },
  },
];

for (const { name, apps, installed, expected } of cases) {
  test(name, () => {
    const conflicts = hostnameConflicts(apps, new Set(installed), 'home.test');
    assert.deepEqual([...conflicts.keys()].sort(), Object.keys(expected).sort());
    for (const [appName, pattern] of Object.entries(expected)) assert.match(conflicts.get(appName) ?? '', pattern);
  });
}
