/**
 * A spec file cut off mid-line from its last good version is refused, even when the cut-off text
 * still validates (`port: 8` from `port: 8080`); a cut at a line break, an edit, and a file with no
 * earlier version are not.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { truncationProblem } from '../../src/spec/truncation.js';

const good = 'apiVersion: amahi.org/v1\nkind: App\nmetadata: { name: web }\nspec:\n  web: { port: 8080 }\n  containers:\n    web: { image: "img:1" }\n';
const cutAt = (text: string) => good.indexOf(text) + text.length;
const bytes = (text: string) => Buffer.from(text);

describe('truncation', () => {
  const cases: [string, string, string | undefined, boolean][] = [
    ['cut in the middle of a value', good.slice(0, cutAt('port: 8')), good, true],
    ['cut in the middle of a key', good.slice(0, cutAt('metad')), good, true],
    ['cut at a line break (cannot be told from deleting the last lines)', good.slice(0, cutAt('kind: App\n')), good, false],
    ['an edit of the same length', good.replace('8080', '9090'), good, false],
    ['an edit that shortens a value inside the file', good.replace('8080', '80'), good, false],
    ['a longer file', `${good}# more\n`, good, false],
    ['no earlier good version', good.slice(0, 30), undefined, false],
    ['an empty file (refused for being empty)', '', good, false],
  ];
  for (const [name, now, before, refused] of cases) {
    test(`${name}: ${refused ? 'refused' : 'not a truncation'}`, () => {
      const problem = truncationProblem('/specs/web.yaml', bytes(now), before === undefined ? undefined : bytes(before));
      assert.equal(problem !== undefined, refused);
      if (problem) assert.match(problem.message, /cut-off copy of its last good version/);
    });
  }
  test('the problem points at the end of the cut', () => {
    const problem = truncationProblem('/specs/web.yaml', bytes(good.slice(0, cutAt('port: 8'))), bytes(good));
    assert.deepEqual([problem?.line, problem?.col], [5, 17]);
  });
});
