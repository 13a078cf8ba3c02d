#!/usr/bin/env node
// One CommonJS build, plus thin ESM entry points that re-export it: an ESM
// import and a require() then share one copy of the module state (the entity
// registry in particular), which a dual build would duplicate.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const entries = JSON.parse((await import('node:fs')).readFileSync(new URL('../package.json', import.meta.url), 'utf8')).exports;
for (const [subpath, target] of Object.entries(entries)) {
  if (typeof target !== 'object' || !target.import) continue;
  const cjs = target.require;
  const names = Object.keys(require(new URL(`../${cjs}`, import.meta.url).pathname)).filter((n) => n !== 'default' && n !== '__esModule');
  const rel = './' + cjs.split('/').pop();
  const text = `// ESM entry for '${subpath}': re-exports the CommonJS build (one module state).\n` +
    `import cjs from '${rel}';\n` +
    `export const { ${names.join(', ')} } = cjs;\n` +
    `export default cjs;\n`;
  writeFileSync(new URL(`../${target.import}`, import.meta.url), text);
  console.log(`${target.import}: ${names.length} exports`);
}
