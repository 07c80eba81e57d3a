#!/usr/bin/env node
// Entry point of the `semantic-router` command: the bundled router (`npm run build`) when it is there, else the
// compiled JavaScript, otherwise the TypeScript sources through tsx's loader.
import { existsSync } from 'node:fs';

const built = ['../dist/bundle/main.js', '../dist/src/cli/main.js']
  .map((relative) => new URL(relative, import.meta.url))
  .find((url) => existsSync(url));
if (built) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
