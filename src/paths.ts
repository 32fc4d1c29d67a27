import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * The package root, found from this module's location. Compiled code lives in dist/src/, sources in
 * src/; both resolve to the directory that holds package.json and schemas/.
 */
export const packageRoot: string = (() => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const parts = here.split(path.sep);
  const distIndex = parts.lastIndexOf('dist');
  if (distIndex > 0) return parts.slice(0, distIndex).join(path.sep) || path.sep;
  return path.resolve(here, '..');
})();

export const schemaPath = (name: string): string => path.join(packageRoot, 'schemas', name);
