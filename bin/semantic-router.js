#!/usr/bin/env node
// Entry point of the `semantic-router` command: the compiled JavaScript (`npm run build`) when it is there,
// otherwise the TypeScript sources through tsx's loader.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
