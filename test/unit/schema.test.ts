/**
 * The schema as a contract: documented for editors (a description and a default on every field),
 * closed at every level, and in step with the TypeScript types generated from it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { packageRoot } from '../../src/paths.js';
import { appSchema } from '../../src/spec/schema.js';

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; required?: string[] };

/** Every object schema with properties, by JSON pointer. */
function objectSchemas(node: unknown, pointer = '#', found: [string, Schema][] = []): [string, Schema][] {
  if (Array.isArray(node)) node.forEach((item, i) => objectSchemas(item, `${pointer}/${i}`, found));
  else if (node !== null && typeof node === 'object') {
    const schema = node as Schema;
    if (schema.properties) found.push([pointer, schema]);
    for (const [key, value] of Object.entries(schema)) objectSchemas(value, `${pointer}/${key}`, found);
  }
  return found;
}

const runGenerator = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [path.join(cwd, 'scripts/gen-spec-types.mjs'), ...args], { cwd, encoding: 'utf8' });

describe('the app schema', () => {
  const schema = appSchema();
  const objects = objectSchemas(schema);

  test('is closed at every level: additionalProperties is false wherever fields are listed', () => {
    assert.ok(objects.length >= 8);
    for (const [pointer, object] of objects) assert.equal(object['additionalProperties'], false, pointer);
  });

  test('describes every field, and says "Required" or gives the default of each', () => {
    for (const [pointer, object] of objects) {
      for (const [name, property] of Object.entries(object.properties ?? {})) {
        const description = String(property['description'] ?? '');
        assert.ok(description.length > 10, `${pointer}/properties/${name} has a description`);
        if (object.required?.includes(name)) assert.match(description, /Required/, `${pointer}/properties/${name} says it is required`);
        else assert.match(description, /Default/, `${pointer}/properties/${name} documents its default`);
      }
    }
  });

  test('every JSON default is a valid value of its own field', () => {
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
    ajv.addSchema(schema);
    let defaults = 0;
    for (const [pointer, object] of objects) {
      for (const [name, property] of Object.entries(object.properties ?? {})) {
        if (!('default' in property)) continue;
        defaults += 1;
        const validate = ajv.compile({ $ref: `${String(schema['$id'])}${pointer}/properties/${name}` });
        assert.ok(validate(property['default']), `default of ${pointer}/properties/${name}: ${JSON.stringify(validate.errors)}`);
      }
    }
    assert.ok(defaults >= 10, `defaults found: ${defaults}`);
  });

  test('and the generated TypeScript types are in step (gen:types --check)', () => {
    const result = runGenerator(packageRoot, '--check');
    assert.equal(result.status, 0, result.stderr);
  });

  test('gen:types --check notices a schema change that the types miss', () => {
    const copy = mkdtempSync(path.join(tmpdir(), 'amahi-gen-'));
    try {
      for (const part of ['scripts', 'schemas', 'src/model']) cpSync(path.join(packageRoot, part), path.join(copy, part), { recursive: true });
      symlinkSync(path.join(packageRoot, 'node_modules'), path.join(copy, 'node_modules'));
      const file = path.join(copy, 'schemas/app.schema.json');
      const changed = JSON.parse(readFileSync(file, 'utf8')) as { properties: { spec: { properties: Record<string, unknown> } } };
      changed.properties.spec.properties['replicas'] = { description: 'How many. Default: 1.', type: 'integer' };
      writeFileSync(file, JSON.stringify(changed));
      const stale = runGenerator(copy, '--check');
      assert.equal(stale.status, 1);
      assert.match(stale.stderr, /spec-input.generated.ts is stale: run `npm run gen:types`/);
      assert.equal(runGenerator(copy).status, 0);
      assert.match(readFileSync(path.join(copy, 'src/model/spec-input.generated.ts'), 'utf8'), /replicas\?: number/);
      assert.equal(runGenerator(copy, '--check').status, 0, 'regenerated types are in step again');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
