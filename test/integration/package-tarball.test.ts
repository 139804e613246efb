// What `npm publish` would ship: the `npm pack` tarball holds the CLI, the library, its types,
// the schemas and the help pages, and no tests or fixtures; installed with production
// dependencies only (as a user's `npm install kiln`), its bin runs, validates a template, finds
// its help pages and starts fast, and the library examples run against it (the build one on the
// test engine). Uses the dist/ that `npm test` built. An integration file for the engine and for
// its time: packing and installing take a minute on a loaded machine.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isBuiltin } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUSYBOX, removeProduced, trackImage } from "./support/build.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  license: string;
  version: string;
  devDependencies: Record<string, string>;
  dependencies: Record<string, string>;
};

let dir = "";
let files: string[] = [];
let installed = "";

before(
  () => {
    dir = mkdtempSync(join(tmpdir(), "kiln-pack-"));
    // --ignore-scripts: pack the dist/ built for this test run instead of rebuilding it.
    const out = execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const [packed] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
    files = packed!.files.map((f) => f.path);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "user-project", private: true }));
    // What a user gets: production dependencies only, from the registry (the npm cache first).
    execFileSync(
      "npm",
      ["install", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", join(dir, packed!.filename)],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    installed = join(dir, "node_modules/kiln");
  },
  { timeout: 600_000 },
); // packing and installing take a minute on a loaded machine

after(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await removeProduced();
  await assertNoKilnLeftovers({ context: "after the packaged library's build" });
});

const kiln = (...args: string[]) =>
  spawnSync(join(dir, "node_modules/.bin/kiln"), args, {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });

test("the tarball ships the CLI, the library with types, schemas, help and docs; no tests or fixtures", () => {
  for (const f of [
    "bin/kiln.js",
    "dist/kiln.mjs",
    "dist/index.js",
    "dist/index.d.ts",
    "schemas/packer-template.schema.json",
    "schemas/kiln-chain.schema.json",
    "help/cache.txt",
    "docs/compat.md",
    "package.json",
    "README.md",
    "LICENSE",
  ])
    assert.ok(files.includes(f), `${f} is not in the tarball`);
  const allowed = /^(bin|dist|docs|help|schemas)\/|^(package\.json|README\.md|LICENSE|CHANGELOG\.md)$/;
  for (const f of files) {
    assert.match(f, allowed, `${f} should not be shipped`);
    assert.doesNotMatch(
      f,
      /(^|\/)(test|tests|fixtures|__tests__)\/|\.test\.|\.tsbuildinfo$/,
      `${f} is a test file`,
    );
  }
});

test("the installed package carries the license text package.json names (MPL-2.0)", () => {
  assert.equal(pkg.license, "MPL-2.0");
  const text = readFileSync(join(installed, "LICENSE"), "utf8");
  assert.match(text, /^Mozilla Public License Version 2\.0\n={34}\n/);
  // The license's last section (Exhibit B) closes the official text: a truncated copy fails here.
  assert.match(text, /Exhibit B - "Incompatible With Secondary Licenses" Notice/);
  assert.equal(text, readFileSync(join(root, "LICENSE"), "utf8"));
});

test("installed with --omit=dev: no devDependency is present, the bin runs", () => {
  const present = readdirSync(join(dir, "node_modules"));
  for (const dev of Object.keys(pkg.devDependencies)) {
    if (dev in pkg.dependencies) continue;
    const top = dev.startsWith("@") ? dev : dev.split("/")[0]!;
    assert.ok(
      !existsSync(join(dir, "node_modules", top)),
      `devDependency ${dev} was installed (${present.join(", ")})`,
    );
  }
  const r = kiln("version");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `kiln v${pkg.version} (runs Packer 1.6.6 docker templates)\n`);
});

test("the installed CLI validates a template and finds its help pages and schema", () => {
  writeFileSync(
    join(dir, "t.json"),
    JSON.stringify({
      $schema: "./node_modules/kiln/schemas/packer-template.schema.json",
      builders: [{ type: "docker", image: "debian:12", commit: true }],
      provisioners: [{ type: "shell", inline: ["true"] }],
    }),
  );
  const ok = kiln("validate", "t.json");
  assert.equal(ok.status, 0, ok.stderr);
  writeFileSync(
    join(dir, "bad.json"),
    JSON.stringify({ builders: [{ type: "docker", imgae: "x", commit: true }] }),
  );
  const bad = kiln("validate", "bad.json");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /bad\.json:1:\d+.*unknown key "imgae"/s);
  const help = kiln("help", "compat");
  assert.equal(help.status, 0, help.stderr);
  assert.ok(help.stdout.trimEnd().endsWith(join(installed, "docs/compat.md")), help.stdout);
});

test("the installed CLI starts from its one-file bundle: `kiln version` loads nothing else, the AWS SDK not at all", () => {
  // What makes the start fast (about 0.25 s of CPU here; bench/README.md) is structural: one
  // bundled file instead of ~100 modules, and the AWS SDK left out until ecr_login needs it. That
  // is asserted here; the time itself is a figure for bench/, not a pass mark.
  const hooks = join(dir, "load-log-hooks.mjs");
  writeFileSync(
    hooks,
    [
      'import { appendFileSync } from "node:fs";',
      "export async function resolve(specifier, context, next) {",
      "  const r = await next(specifier, context);",
      "  appendFileSync(process.env.KILN_LOAD_LOG, `import ${r.url}\\n`);",
      "  return r;",
      "}",
    ].join("\n"),
  );
  const register = join(dir, "load-log-register.mjs");
  writeFileSync(
    register,
    `import { register } from "node:module";\nregister(${JSON.stringify(new URL(`file://${hooks}`).href)});\n`,
  );
  // require() calls (the bundle's CommonJS dependencies) go through Module._load.
  const cjs = join(dir, "load-log-require.cjs");
  writeFileSync(
    cjs,
    [
      'const Module = require("node:module");',
      'const { appendFileSync } = require("node:fs");',
      "const load = Module._load;",
      "Module._load = function (request, ...rest) {",
      "  appendFileSync(process.env.KILN_LOAD_LOG, `require ${request}\\n`);",
      "  return load.call(this, request, ...rest);",
      "};",
    ].join("\n"),
  );
  const log = join(dir, "load.log");
  const r = spawnSync(
    process.execPath,
    ["--require", cjs, "--import", register, join(installed, "bin/kiln.js"), "version"],
    { cwd: dir, encoding: "utf8", env: { ...process.env, KILN_LOAD_LOG: log } },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^kiln v\d/);
  const loaded = readFileSync(log, "utf8")
    .split("\n")
    .filter((l) => l !== "" && !l.includes("load-log-"))
    .filter((l) => !isBuiltin(l.slice(l.indexOf(" ") + 1)));
  const inPackage = (p: string) => `import ${new URL(`file://${join(installed, p)}`).href}`;
  assert.deepEqual(loaded, [inPackage("bin/kiln.js"), inPackage("dist/kiln.mjs")], loaded.join("\n"));
  assert.ok(!readFileSync(join(installed, "dist/kiln.mjs"), "utf8").includes("@aws-sdk/client-ecr/dist-cjs"));
});

test('examples/library/validate.mjs runs against the installed package (import from "kiln")', () => {
  const example = join(dir, "validate.mjs");
  writeFileSync(example, readFileSync(join(root, "examples/library/validate.mjs")));
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [example, ...args], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, DOCKER_HOST: `unix://${join(dir, "no-engine.sock")}` },
    });
  const ok = run("t.json");
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, "build docker: image debian:12; provisioners: shell; post-processors: none\n");
  const bad = run("bad.json");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^bad\.json:1:\d+: .*unknown key "imgae"/m);
  // --engine goes through connectEngine: here the socket does not exist.
  const engine = run("t.json", "--engine");
  assert.equal(engine.status, 1);
  assert.match(engine.stderr, /cannot reach the engine: .*no-engine\.sock/);
});

test("examples/library/build.mjs builds on the engine through the installed package, with events", () => {
  const example = join(dir, "build.mjs");
  writeFileSync(example, readFileSync(join(root, "examples/library/build.mjs")));
  writeFileSync(
    join(dir, "lib.json"),
    JSON.stringify({
      variables: { word: "x" },
      builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
      provisioners: [{ type: "shell", inline: ["echo {{user `word`}} > /built-by-library"] }],
    }),
  );
  const r = spawnSync(process.execPath, [example, "lib.json", "--var", "word=hello"], {
    cwd: dir,
    encoding: "utf8",
    timeout: 300_000,
  });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /^\[docker\] step provisioner 1 \(shell\)$/m);
  const image = /^\[docker\] artifact: image (sha256:[0-9a-f]{64})$/m.exec(r.stdout);
  assert.ok(image, r.stdout);
  trackImage(image[1]!);
});
