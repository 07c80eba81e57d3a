// scripts/bundle.mjs: bundled modules still find files beside their original location, whether they are ES
// modules (import.meta.url), CommonJS packages (__dirname, __filename) or chunks loaded on first use.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleRouter, relocateModuleSource } from '../../../scripts/bundle.mjs';

let root: string;

function write(relative: string, text: string): string {
  const file = path.join(root, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

interface FixtureExports {
  readonly entryUrl: string;
  readonly besideEntry: string;
  readonly lazy: () => Promise<{ readonly url: string; readonly beside: string }>;
  readonly cjs: { readonly dir: string; readonly file: string; readonly beside: string };
}

describe('bundling the router', () => {
  let bundled: FixtureExports;
  let outdir: string;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'router-bundle-'));
    write('src/cli/data.txt', 'entry data');
    write('src/lazy/data.txt', 'lazy data');
    write('node_modules/cjs-pkg/data.txt', 'cjs data');
    write('node_modules/cjs-pkg/package.json', '{"name":"cjs-pkg","main":"index.js"}');
    write(
      'node_modules/cjs-pkg/index.js',
      `const fs = require('node:fs');
       const path = require('node:path');
       module.exports = { dir: __dirname, file: __filename, beside: fs.readFileSync(path.join(__dirname, 'data.txt'), 'utf8') };`,
    );
    write(
      'src/lazy/late.js',
      `import { readFileSync } from 'node:fs';
       export const url = import.meta.url;
       export const beside = readFileSync(new URL('./data.txt', import.meta.url), 'utf8');`,
    );
    write(
      'src/cli/main.js',
      `import { readFileSync } from 'node:fs';
       import cjs from 'cjs-pkg';
       export const entryUrl = import.meta.url;
       export const besideEntry = readFileSync(new URL('./data.txt', import.meta.url), 'utf8');
       export const lazy = () => import('../lazy/late.js');
       export { cjs };`,
    );
    const result = await bundleRouter({ root, entry: 'src/cli/main.js', outdir: 'out/bundle' });
    outdir = path.join(root, 'out/bundle');
    expect(result.entry).toBe(path.join(outdir, 'main.js'));
    bundled = (await import(pathToFileURL(result.entry).href)) as FixtureExports;
  });

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('puts the lazily imported module in a chunk of its own', () => {
    const chunks = readdirSync(outdir).filter((file) => file.endsWith('.js') && file !== 'main.js');
    expect(chunks.length).toBeGreaterThan(0);
  });

  it('gives an ES module its own URL, not the bundle’s', () => {
    expect(bundled.entryUrl).toBe(pathToFileURL(path.join(root, 'src/cli/main.js')).href);
    expect(bundled.besideEntry).toBe('entry data');
  });

  it('does the same in a chunk loaded on first use', async () => {
    const late = await bundled.lazy();
    expect(late.url).toBe(pathToFileURL(path.join(root, 'src/lazy/late.js')).href);
    expect(late.beside).toBe('lazy data');
  });

  it('gives a CommonJS package its own __dirname and __filename, and Node’s built-ins through require', () => {
    expect(bundled.cjs.dir).toBe(path.join(root, 'node_modules/cjs-pkg'));
    expect(bundled.cjs.file).toBe(path.join(root, 'node_modules/cjs-pkg/index.js'));
    expect(bundled.cjs.beside).toBe('cjs data');
  });

  it('a second build replaces the first one’s chunks', async () => {
    const before = readdirSync(outdir).length;
    write('src/lazy/late.js', 'export const url = import.meta.url; export const beside = "changed";');
    await bundleRouter({ root, entry: 'src/cli/main.js', outdir: 'out/bundle' });
    expect(readdirSync(outdir).length).toBe(before);
  });
});

describe('relocateModuleSource', () => {
  it('leaves a module that does not ask where it is', () => {
    expect(relocateModuleSource('export const x = 1;', '../src/x.js')).toBeUndefined();
  });

  it('does not touch look-alike names', () => {
    expect(relocateModuleSource('const my__dirname = 1; x.import_meta_url;', '../src/x.js')).toBeUndefined();
  });
});
