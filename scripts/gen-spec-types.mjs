#!/usr/bin/env node
// Generates src/model/spec-input.generated.ts from schemas/app.schema.json, so that the TypeScript
// type of a parsed spec cannot drift from the schema. `--check` exits 1 when the file is stale
// (the unit tests run it).
import { readFile, writeFile } from 'node:fs/promises';
import { compile } from 'json-schema-to-typescript';

const root = new URL('..', import.meta.url);
const schemaPath = new URL('schemas/app.schema.json', root);
const outPath = new URL('src/model/spec-input.generated.ts', root);

export async function renderSpecTypes() {
  const schema = JSON.parse(await readFile(schemaPath, 'utf8'));
  return compile(schema, 'AppSpecInput', {
    bannerComment:
      '/* Generated from schemas/app.schema.json by scripts/gen-spec-types.mjs. Do not edit. */',
    additionalProperties: false,
    strictIndexSignatures: false,
    style: { singleQuote: true },
    unreachableDefinitions: false,
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rendered = await renderSpecTypes();
  if (process.argv.includes('--check')) {
    const current = await readFile(outPath, 'utf8').catch(() => '');
    if (current !== rendered) {
      console.error('src/model/spec-input.generated.ts is stale: run `npm run gen:types`');
      process.exit(1);
    }
  } else {
    await writeFile(outPath, rendered);
  }
}
