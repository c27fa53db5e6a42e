// Bundles the admin console for the node to build in:
//   node web/console/build.mjs OUTDIR
// writes OUTDIR/app.js, app.css and index.html (which names both with a
// hash of their content, so a browser fetches a new build at once and
// caches an unchanged one). CMake runs it (admin/CMakeLists.txt).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node build.mjs OUTDIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { app: join(here, 'src/main.jsx') },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
});

const hash = (file) =>
  createHash('sha256').update(readFileSync(join(out, file))).digest('hex').slice(0, 12);
const page = readFileSync(join(here, 'index.html'), 'utf8')
  .replace('__APP_JS__', hash('app.js'))
  .replace('__APP_CSS__', hash('app.css'));
writeFileSync(join(out, 'index.html'), page);
for (const f of ['app.js', 'app.css', 'index.html'])
  console.log(`console ${f}: ${(statSync(join(out, f)).size / 1024).toFixed(1)} KiB`);
