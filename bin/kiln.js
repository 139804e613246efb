#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (built by `npm ci` through the `prepare` script). The
// single-file bundle starts fastest; the module tree is the fallback.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const bundle = new URL("../dist/kiln.mjs", import.meta.url);
const tree = new URL("../dist/cli/main.js", import.meta.url);
const main = existsSync(fileURLToPath(bundle)) ? bundle : tree;
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write(
    "kiln: dist/ is missing; run `npm ci` (or `npm run build`) in the kiln checkout first.\n",
  );
  process.exit(1);
}
const { run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
