import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/**
 * The names an entry point exports, from its `export { ... } from` and `export type { ... } from`
 * statements: values, and types (`export type {}` or a `type ` prefix inside the braces).
 */
function exportedNames(path: string): { values: string[]; types: string[] } {
  const text = read(path);
  // Any other form of export (export *, export const, ...) would escape this parser.
  expect(text.match(/^export\s+(?!\{|type\s*\{).*$/gm) ?? []).toEqual([]);
  const values = new Set<string>();
  const types = new Set<string>();
  for (const m of text.matchAll(/^export\s+(type\s+)?\{([^}]*)\}\s*from\s/gm)) {
    for (const raw of m[2]!.split(',')) {
      const item = raw.trim();
      if (item === '') continue;
      const isType = m[1] !== undefined || item.startsWith('type ');
      const name = item.replace(/^type\s+/, '').split(/\s+as\s+/).pop()!.trim();
      (isType ? types : values).add(name);
    }
  }
  return { values: [...values].sort(), types: [...types].sort() };
}

/** The identifiers in the first column of the docs/api.md export table(s) between `from` and `to`. */
function documentedNames(from: string, to: string): string[] {
  const md = read('docs/api.md');
  const start = md.indexOf(from);
  const section = md.slice(start, md.indexOf(to, start));
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `')) continue;
    for (const m of line.split(' | ')[0]!.matchAll(/`([A-Za-z_$][\w$]*)/g)) names.add(m[1]!);
  }
  return [...names].sort();
}

describe('docs/api.md lists every export', () => {
  it('the parser of src/index.ts agrees with what the module exports at run time', async () => {
    const api = await import('../../src/index.js');
    expect(exportedNames('src/index.ts').values).toEqual(Object.keys(api).sort());
  });

  it("the export table of 'openssh-mux' names every value and type of src/index.ts, and nothing else", () => {
    const { values, types } = exportedNames('src/index.ts');
    expect(values.length).toBeGreaterThan(40);
    expect(types.length).toBeGreaterThan(40);
    expect(documentedNames('## Exports', 'From `openssh-mux/testing`')).toEqual([...values, ...types].sort());
  });

  it("the line on 'openssh-mux/testing' names every export of src/testing/index.ts", async () => {
    const testing = await import('../../src/testing/index.js');
    const { values, types } = exportedNames('src/testing/index.ts');
    expect(values).toEqual(Object.keys(testing).sort());
    const md = read('docs/api.md');
    const line = md.slice(md.indexOf('From `openssh-mux/testing`'), md.indexOf('### `maxCtlPathLength'));
    expect([...line.matchAll(/`([A-Za-z_$][\w$]*)`/g)].map((m) => m[1]!).sort()).toEqual([...values, ...types].sort());
  });
});
