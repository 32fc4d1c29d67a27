/** App spec text for tests, in the form a user writes. */
import { TEST_IMAGE } from './images.js';

export interface WebAppOptions {
  readonly image?: string;
  readonly port?: number;
  readonly id?: number;
  readonly aliases?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly volumes?: readonly string[];
  readonly extra?: string;
}

/** A one-container web app on the busybox test image, serving a page that names the app. */
export function webAppSpec(name: string, options: WebAppOptions = {}): string {
  const env = { APP_NAME: '${APP_IDENTIFIER}', ...options.env };
  const lines = [
    '# yaml-language-server: $schema=../schemas/app.schema.json',
    'apiVersion: amahi.org/v1',
    'kind: App',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    ...(options.id !== undefined ? [`  id: ${options.id}`] : []),
    '  web:',
    `    port: ${options.port ?? 80}`,
    ...(options.aliases ? [`    aliases: [${options.aliases.join(', ')}]`] : []),
    '  containers:',
    '    web:',
    `      image: ${options.image ?? TEST_IMAGE}`,
    '      init: true',
    '      env:',
    ...Object.entries(env).map(([key, value]) => `        ${key}: "${value}"`),
    ...(options.volumes ? ['      volumes:', ...options.volumes.map((v) => `        - ${v}`)] : []),
    ...(options.extra ? [options.extra] : []),
  ];
  return `${lines.join('\n')}\n`;
}
