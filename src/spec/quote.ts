/**
 * Quoting of user-supplied text inside messages. A problem is printed as one line
 * (`file:line:col: path: message`), so text from a spec — which may hold newlines, quotes, control
 * characters or a whole Apache directive — is always shown JSON-quoted and cut to a readable length.
 */
const MAX_QUOTED = 60;

export function quote(text: string, max = MAX_QUOTED): string {
  return text.length > max ? `${JSON.stringify(text.slice(0, max - 3))}...` : JSON.stringify(text);
}
