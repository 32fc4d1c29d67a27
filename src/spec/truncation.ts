/**
 * A spec file cut off in the middle of a line, whose content is a strict prefix of the file's last
 * good version, was truncated (a write in progress caught by a read, a writer that died, a disk
 * that filled up), not edited: such a prefix may still parse and validate, e.g. `port: 8` from
 * `port: 8080` or `hostname: fo` from `hostname: foo`, and would change the app. It is refused, and
 * the last good version stays in force. Pure.
 *
 * A cut at a line break cannot be told from an edit that deleted the last lines, and is taken as
 * such. An edit that shortens the last line of a file that has no final line break is refused too,
 * with a message that says how to apply it (end the file with a line break).
 */
import type { SpecProblem } from '../errors.js';

const LINE_FEED = 0x0a;

export function truncationProblem(file: string, bytes: Uint8Array, lastGood: Uint8Array | undefined): SpecProblem | undefined {
  if (!lastGood || bytes.byteLength === 0 || bytes.byteLength >= lastGood.byteLength) return undefined;
  if (bytes[bytes.byteLength - 1] === LINE_FEED) return undefined;
  for (let i = 0; i < bytes.byteLength; i += 1) if (bytes[i] !== lastGood[i]) return undefined;
  const text = Buffer.from(bytes).toString('utf8');
  const lastLine = text.slice(text.lastIndexOf('\n') + 1);
  return {
    file, line: text.split('\n').length, col: lastLine.length + 1, path: '',
    message: 'the file ends in the middle of a line and is a cut-off copy of its last good version (a write in progress, or a truncated file); '
      + 'the last good version stays in force. If this is the content you mean, end the file with a line break',
  };
}
