// Bundles the CLI into one file (dist/kiln.mjs): loading ~100 modules one by one costs more start-up
// time than the whole bundle. The AWS SDK, heavy and rarely used, stays external and loads only for
// ecr_login.
import { build } from "esbuild";

await build({
  entryPoints: ["src/cli/main.ts"],
  outfile: "dist/kiln.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  external: ["@aws-sdk/*"],
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: {
    js: 'import { createRequire as __kilnRequire } from "node:module"; const require = __kilnRequire(import.meta.url);',
  },
  logLevel: "warning",
});
