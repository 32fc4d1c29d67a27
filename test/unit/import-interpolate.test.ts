/** Compose interpolation, the .env format and finding the compose heredoc in a script, table-driven. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { interpolate, newIssues, parseEnvFile } from '../../src/import/interpolate.js';
import { ReportCollector } from '../../src/import/report.js';
import { extractFromScript, looksLikeInstallScript } from '../../src/import/script.js';

const env = { SET: 'value', EMPTY: '', PORT: '8080' };

describe('interpolation as Compose does it', () => {
  const table: [string, string, { missing?: string[]; errors?: RegExp }?][] = [
    ['plain text', 'plain text'],
    ['${SET}', 'value'],
    ['$SET/path', 'value/path'],
    ['${UNSET}', '', { missing: ['UNSET'] }],
    ['$UNSET', '', { missing: ['UNSET'] }],
    ['${EMPTY:-default}', 'default'],
    ['${EMPTY-default}', ''],
    ['${UNSET-default}', 'default'],
    ['${SET:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${UNSET:-${SET}}', 'value'],
    ['${UNSET:-${ALSO:-deep}}', 'deep'],
    ['$$SET and $${SET}', '$SET and ${SET}'],
    ['http://host:${PORT:-80}/', 'http://host:8080/'],
    ['${UNSET:?needed here}', '', { errors: /UNSET: needed here/ }],
    ['${EMPTY?is set, so fine}', ''],
    ['${UNSET?}', '', { errors: /UNSET: required variable is not set/ }],
    ['cost $5', 'cost $5', { errors: /lone "\$"/ }],
    ['${SET', '${SET', { errors: /unterminated/ }],
  ];
  for (const [input, expected, problems] of table) {
    test(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
      const issues = newIssues();
      assert.equal(interpolate(input, env, issues), expected);
      assert.deepEqual([...issues.missing], problems?.missing ?? []);
      if (problems?.errors) assert.match(issues.errors.join('\n'), problems.errors);
      else assert.deepEqual(issues.errors, []);
    });
  }
});

test('an env file: comments, export, quotes, inline comments, bare names, multi-line values, interpolation', () => {
  const text = [
    '# a comment', '', 'export A=1', 'B = spaced ', "C='literal ${SET} # not a comment'", 'D="double ${SET}\\nnext"',
    'E=unquoted # a comment', 'F', 'G="two', 'lines"', 'H=${A}-${SET}', 'not a line', '',
  ].join('\n');
  const { entries, errors } = parseEnvFile(text, env);
  assert.deepEqual(entries.map((e) => [e.name, e.value]), [
    ['A', '1'], ['B', 'spaced'], ['C', 'literal ${SET} # not a comment'], ['D', 'double value\nnext'], ['E', 'unquoted'],
    ['F', undefined], ['G', 'two\nlines'], ['H', '1-value'],
  ]);
  assert.deepEqual(errors, ['line 12: not NAME=value']);
});

describe('finding the compose heredoc in an install script', () => {
  const table: [string, string, string | undefined][] = [
    ['quoted delimiter', "cat > docker-compose.yml << 'EOF'\na:\n  image: x\nEOF\n", 'a:\n  image: x'],
    ['double-quoted delimiter', 'cat > docker-compose.yml <<"END"\na:\n  image: x\nEND\n', 'a:\n  image: x'],
    ['unquoted, redirection after the heredoc', 'cat <<YML > ./docker-compose.yaml\na:\n  image: x\nYML\n', 'a:\n  image: x'],
    ['<<- strips leading tabs', "cat > compose.yml <<-'EOF'\n\ta:\n\t  image: x\n\tEOF\n", 'a:\n  image: x'],
    ['written with tee', "tee docker-compose.yml > /dev/null << 'EOF'\na:\n  image: x\nEOF\n", 'a:\n  image: x'],
    ['a heredoc for another file only', "cat > config.php << 'EOF'\n<?php ?>\nEOF\n", undefined],
  ];
  for (const [name, script, compose] of table) {
    test(name, () => {
      assert.equal(looksLikeInstallScript(script), compose !== undefined);
      const extracted = extractFromScript(script, new ReportCollector());
      assert.equal(extracted?.compose, compose);
    });
  }
});
