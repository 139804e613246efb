// The published JSON Schema of JSON templates (schemas/packer-template.schema.json): it is the one
// generated from the component specs, it accepts every template the project ships or tests as
// valid, and it agrees with `kiln validate` on the malformed corpus: it rejects every malformed
// template whose problem is structural, and the ones it accepts are listed with the reason only
// kiln can see the problem (so the list shrinks if the schema learns more, and nothing is hidden).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";
import { templateSchema } from "../../src/template/template-schema.js";
import { ROOT_KEYS } from "../../src/template/json/load-json.js";
import { loadTemplate } from "../../src/template/load.js";
import { builderSpecs, postProcessorSpecs, provisionerSpecs } from "../../src/template/components.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const published: unknown = JSON.parse(
  readFileSync(join(root, "schemas/packer-template.schema.json"), "utf8"),
);

function compile(schema: unknown): ValidateFunction {
  // Strict: an unknown keyword or a bad $ref fails compilation; the editor-only keyword is declared.
  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
  ajv.addVocabulary(["deprecationMessage"]);
  return ajv.compile(schema as object);
}

const validate = compile(published);
const errorsOf = (value: unknown): string => (
  validate(value),
  (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join("\n")
);

test("the published schema is the one generated from the component specs", () => {
  assert.deepEqual(published, JSON.parse(JSON.stringify(templateSchema())), "run npm run schemas");
});

test("the schema knows every root key, component type and option the loader knows", () => {
  const s = published as {
    properties: Record<string, unknown>;
    definitions: Record<string, { properties: Record<string, unknown> }>;
  };
  assert.deepEqual(Object.keys(s.properties).sort(), [...ROOT_KEYS].sort());
  const kinds = {
    builder: builderSpecs,
    provisioner: provisionerSpecs,
    "post-processor": postProcessorSpecs,
  };
  for (const [kind, specs] of Object.entries(kinds)) {
    for (const [type, spec] of Object.entries(specs)) {
      const def = s.definitions[`${kind}.${type}`];
      assert.ok(def, `no definition for the ${type} ${kind}`);
      for (const key of Object.keys(spec.schema)) assert.ok(key in def.properties, `${kind}.${type}: ${key}`);
    }
  }
});

/** JSON files under `dir` (recursively) that are Packer templates (an object with builders). */
function templatesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { recursive: true })) {
    const file = join(root, dir, String(entry));
    if (!file.endsWith(".json") || !statSync(file).isFile()) continue;
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      continue;
    }
    if (value && typeof value === "object" && "builders" in value) out.push(file);
  }
  return out;
}

/** Parity templates kiln refuses at validation (exit 2 expected): they join the malformed corpus. */
const refusedByKiln = (file: string): boolean => {
  try {
    return readFileSync(file.replace(/\.json$/, ".parity.json"), "utf8").includes('"kiln": 2');
  } catch {
    return false;
  }
};
const parity = templatesUnder("test/parity/templates");
const valid = [
  ...parity.filter((f) => !refusedByKiln(f)),
  ...templatesUnder("test/fixtures/parity-candidates"),
  ...templatesUnder("test/fixtures/hcl/upgrade"),
  ...templatesUnder("examples"),
];

test("there are fixture templates to check", () => {
  assert.ok(valid.length >= 45, `only ${valid.length}`);
  assert.ok(valid.some((f) => f.includes("examples/")));
});

for (const file of valid) {
  test(`schema accepts ${relative(root, file)}`, () => {
    const value: unknown = JSON.parse(readFileSync(file, "utf8"));
    assert.ok(validate(value), errorsOf(value));
  });
}

/**
 * Malformed templates whose problem only evaluating the template shows: the schema accepts them,
 * `kiln validate` does not. Each with the reason.
 */
const BEYOND_SCHEMA: Record<string, string> = {
  "bad-build-variable": "template function use ({{build}} outside a build)",
  "bad-changes": "the content of a Dockerfile instruction string",
  "bad-import-changes": "the content of a Dockerfile instruction string",
  "bad-late-field": "template syntax in a late-rendered option",
  "bad-only": "builder names (cross-reference) and only+except together",
  "conflict-commit-discard": "options that exclude each other",
  "conflict-inline-script": "options that exclude each other",
  "dot-field-at-load": "template function use",
  "duplicate-builder-names": "uniqueness across builders",
  "duplicate-keys": "JSON.parse keeps the last of duplicate keys; kiln's parser refuses them",
  "env-outside-variables": "template function use (env outside variables)",
  "escaped-position": "template syntax inside a string",
  "file-source-missing": "a local file that does not exist",
  "missing-image": "needs one of image / ... (exactly-one-of check)",
  "missing-required-variable": "a variable without a value on the command line",
  "no-artifact-mode": "needs one of commit, discard, export_path",
  "sed-deprecated": "template function use (sed)",
  "template-syntax": "template syntax inside a string",
  "undefined-function": "template function use",
  "unsupported-builder-type": "a builder kiln does not run is valid while -only/-except leave it out",
  "bad-environment-vars": "the content of an environment_vars item (KEY=value)",
  "27-fail-changes": "the content of a Dockerfile instruction string",
  "undefined-variable": "template function use (user of an undeclared variable)",
  "unsupported-functions": "template function use",
  "var-file-syntax": "a -var-file's content",
  "var-file-wrong-type": "a -var-file's content",
  "variable-cycle": "variables referring to each other",
};

const malformedDir = join(root, "test/fixtures/malformed/json");
const malformedFiles = new Map<string, string>([
  ...readdirSync(malformedDir)
    .filter((f) => f.endsWith(".expected"))
    .map((f): [string, string] => [
      f.slice(0, -".expected".length),
      join(malformedDir, f.replace(/\.expected$/, ".json")),
    ]),
  ...parity.filter(refusedByKiln).map((f): [string, string] => [basename(f, ".json"), f]),
]);
const malformed = [...malformedFiles.keys()].sort();

test("every listed exception is in the malformed corpus", () => {
  for (const name of Object.keys(BEYOND_SCHEMA)) assert.ok(malformed.includes(name), name);
});

for (const name of malformed) {
  test(`schema and kiln validate agree: ${name}`, () => {
    const text = readFileSync(malformedFiles.get(name)!, "utf8");
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON: the editor's JSON parser reports it before any schema applies.
      assert.ok(name.startsWith("syntax-"), `${name} is not JSON`);
      return;
    }
    assert.ok(!name.startsWith("syntax-"), `${name} parses as JSON`);
    const accepted = validate(value);
    if (name in BEYOND_SCHEMA) assert.ok(accepted, `schema now rejects ${name}: drop it from BEYOND_SCHEMA`);
    else assert.ok(!accepted, `schema accepts ${name}, which kiln validate refuses`);
  });
}

test("a template may name its schema with $schema (kiln reads it; Packer would refuse the key)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kiln-schema-"));
  const template = {
    $schema: "../node_modules/kiln/schemas/packer-template.schema.json",
    builders: [{ type: "docker", image: "debian:12", commit: true }],
  };
  writeFileSync(join(dir, "t.json"), JSON.stringify(template));
  assert.ok(validate(template), errorsOf(template));
  const t = await loadTemplate("t.json", {
    vars: [],
    varFiles: [],
    env: {},
    cwd: dir,
    startTime: new Date(),
  });
  assert.equal(t.builds.length, 1);
  const bad = { ...template, $schema: 1 };
  assert.ok(!validate(bad));
  writeFileSync(join(dir, "t.json"), JSON.stringify(bad));
  await assert.rejects(
    loadTemplate("t.json", { vars: [], varFiles: [], env: {}, cwd: dir, startTime: new Date() }),
    /\$schema: expected string/,
  );
});
