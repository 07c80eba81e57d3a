#!/usr/bin/env node
// `npm run build`'s last step: bundles the compiled router (dist/src/cli/main.js and everything it imports,
// node_modules included) into dist/bundle/, which `npm start` and the container run. A start then reads main.js
// and the few chunks its policy needs instead of ~660 modules, and resolves no package paths: ~120 ms of a
// ~540 ms start on 2 cores.
//
// Each module keeps the location it has outside the bundle: `import.meta.url`, `__dirname` and `__filename`
// are rewritten to the module's own file, so workers (`new URL('./x.js', import.meta.url)`), the n-gram image,
// proto/ and models/ are found where the unbundled build finds them. Lazily imported modules become chunks
// loaded on first use, as before. Packages that load native code stay outside.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export const DEFAULT_ENTRY = 'dist/src/cli/main.js';
export const DEFAULT_OUTDIR = 'dist/bundle';
/** Loaded with native bindings beside them: bundling would lose their paths. */
export const EXTERNAL_PACKAGES = ['onnxruntime-node'];

// Every output file starts with these; all chunks sit in one folder, so a path relative to that folder is
// resolved the same way from any of them.
const BANNER = [
  "import { createRequire as __bundleCreateRequire } from 'node:module';",
  "import { dirname as __bundleDirname } from 'node:path';",
  "import { fileURLToPath as __bundleFileURLToPath } from 'node:url';",
  // Bundled CommonJS modules require Node's built-ins through it.
  'const require = __bundleCreateRequire(import.meta.url);',
  'const __bundleModuleUrl = (relative) => new URL(relative, import.meta.url).href;',
  'const __bundleModuleFile = (relative) => __bundleFileURLToPath(new URL(relative, import.meta.url));',
].join('\n');

const USES_MODULE_LOCATION = /\bimport\.meta\.url\b|\b__dirname\b|\b__filename\b/;

/** The module's original location (relative to `outdir`) in place of the bundle's. */
export function relocateModuleSource(source, relativeToOutdir) {
  if (!USES_MODULE_LOCATION.test(source)) return undefined;
  const relative = JSON.stringify(relativeToOutdir);
  let text = source.replace(/\bimport\.meta\.url\b/g, `__bundleModuleUrl(${relative})`);
  // CommonJS modules are wrapped in a function each, so these stay local to the module.
  if (/\b__dirname\b|\b__filename\b/.test(text)) {
    text = `var __filename = __bundleModuleFile(${relative}), __dirname = __bundleDirname(__filename);\n${text}`;
  }
  return text;
}

function moduleLocationPlugin(outdir) {
  return {
    name: 'module-location',
    setup(build) {
      // TypeScript too: tests bundle the sources without compiling them first.
      build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        const relative = path.relative(outdir, args.path).split(path.sep).join('/');
        const contents = relocateModuleSource(source, relative);
        if (contents === undefined) return undefined;
        return { contents, loader: /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js' };
      });
    },
  };
}

/** Bundles `entry` into `outdir` (absolute or relative to `root`): `outdir/main.js` plus chunks. */
export async function bundleRouter({ root, entry = DEFAULT_ENTRY, outdir = DEFAULT_OUTDIR }) {
  const absoluteOutdir = path.resolve(root, outdir);
  // Chunk names carry content hashes: without this, every build would leave the last one's chunks behind.
  await rm(absoluteOutdir, { recursive: true, force: true });
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { main: path.resolve(root, entry) },
    outdir: absoluteOutdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL_PACKAGES,
    banner: { js: BANNER },
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
    plugins: [moduleLocationPlugin(absoluteOutdir)],
  });
  const outputs = Object.entries(result.metafile.outputs).filter(([file]) => !file.endsWith('.map'));
  return {
    entry: path.join(absoluteOutdir, 'main.js'),
    files: outputs.length,
    bytes: outputs.reduce((sum, [, output]) => sum + output.bytes, 0),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const { entry, files, bytes } = await bundleRouter({ root });
  console.log(
    `bundle: ${path.relative(root, entry)} (${files} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB)`,
  );
}
