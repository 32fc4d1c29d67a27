/**
 * Results of spec files by content: the controller re-reads the whole specs directory on every
 * file event and re-list, and a file whose bytes (and the host context) did not change need not be
 * parsed and validated again. Holds the latest result per file only.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/hash.js';
import { loadSpecFile, type FileResult, type SpecFileInput } from './load.js';
import type { SpecContext } from './normalize.js';

export class SpecFileCache {
  private readonly entries = new Map<string, { readonly key: string; readonly result: FileResult }>();
  private context: { readonly ctx: SpecContext; readonly key: string } | undefined;

  /** Like loadSpecFile, answered from the cache when the file's bytes and the context are the same. */
  load(input: SpecFileInput, ctx: SpecContext): FileResult {
    const key = `${this.contextKey(ctx)}:${input.size ?? input.bytes.byteLength}:${createHash('sha256').update(input.bytes).digest('hex')}`;
    const cached = this.entries.get(input.file);
    if (cached?.key === key) return cached.result;
    const result = loadSpecFile(input, ctx);
    this.entries.set(input.file, { key, result });
    return result;
  }

  /** Forgets the files that are gone. */
  retain(files: ReadonlySet<string>): void {
    for (const file of this.entries.keys()) if (!files.has(file)) this.entries.delete(file);
  }

  get size(): number {
    return this.entries.size;
  }

  private contextKey(ctx: SpecContext): string {
    if (this.context?.ctx !== ctx) {
      const plain = { ...ctx, reservedHostPorts: [...(ctx.reservedHostPorts ?? new Map())].sort(([a], [b]) => a - b) };
      this.context = { ctx, key: createHash('sha256').update(canonicalJson(plain)).digest('hex').slice(0, 16) };
    }
    return this.context.key;
  }
}
