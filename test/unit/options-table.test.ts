// test/OPTIONS.md must stay true: one row for every option of every component kiln runs (from the
// schemas), each naming a test that exists, and each mutation id naming that row's option.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { builderSpecs, postProcessorSpecs, provisionerSpecs } from "../../src/template/components.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

const IN_SCOPE = {
  builder: ["docker"],
  provisioner: ["shell", "file", "shell-local", "breakpoint", "ansible", "ansible-local"],
  "post-processor": ["docker-tag", "docker-import", "docker-save", "docker-push", "manifest", "shell-local"],
} as const;
/** Options every provisioner or post-processor takes (their own small schemas in the loaders). */
const CORE = {
  provisioner: ["pause_before", "max_retries", "timeout"],
  "post-processor": ["keep_input_artifact"],
};

interface Row {
  kind: string;
  component: string;
  option: string;
  file: string;
  name: string;
  mutant?: string;
}

function rows(): Row[] {
  const out: Row[] = [];
  let kind = "";
  for (const line of readFileSync(join(ROOT, "test/OPTIONS.md"), "utf8").split("\n")) {
    const heading = /^### (.+)$/.exec(line)?.[1];
    if (heading !== undefined) {
      kind = /post-processor/.test(heading)
        ? "post-processor"
        : /provisioner/.test(heading)
          ? "provisioner"
          : "builder";
      continue;
    }
    const cells = line.split("|").map((c) => c.trim());
    if (cells.length < 7 || !/^`[\w-]+`$/.test(cells[2] ?? "")) continue;
    const test = /^`([^`]+)` › (.+)$/.exec(cells[3]!);
    assert.ok(test, `bad test cell: ${line}`);
    out.push({
      kind,
      component: cells[1]!,
      option: cells[2]!.slice(1, -1),
      file: test[1]!,
      name: test[2]!,
      mutant: /mutant `([^`]+)`/.exec(cells[4]!)?.[1],
    });
  }
  return out;
}

describe("test/OPTIONS.md", () => {
  const table = rows();
  const key = (kind: string, component: string, option: string) => `${kind} ${component}.${option}`;

  it("has one row for every option of every component", () => {
    const expected = new Set<string>();
    const specs = {
      builder: builderSpecs,
      provisioner: provisionerSpecs,
      "post-processor": postProcessorSpecs,
    };
    for (const [kind, types] of Object.entries(IN_SCOPE)) {
      for (const type of types) {
        const spec = (specs[kind as keyof typeof specs] as Record<string, { schema: object } | undefined>)[
          type
        ];
        assert.ok(spec, `${kind} ${type} has no schema`);
        for (const option of Object.keys(spec.schema)) expected.add(key(kind, type, option));
      }
    }
    for (const [kind, options] of Object.entries(CORE))
      for (const option of options) expected.add(key(kind, "(core)", option));
    const present = table.map((r) => key(r.kind, r.component, r.option));
    assert.deepEqual(
      [...expected].filter((k) => !present.includes(k)),
      [],
      "options without a row",
    );
    assert.deepEqual(
      present.filter((k) => !expected.has(k)),
      [],
      "rows for options that do not exist",
    );
    assert.equal(new Set(present).size, present.length, "duplicate rows");
  });

  it("names tests that exist", () => {
    const missing: string[] = [];
    for (const r of table) {
      const file = join(ROOT, r.file);
      if (!existsSync(file)) {
        missing.push(`${r.file} (file)`);
        continue;
      }
      // Parity rows name a template; other rows a test title, as written in the file.
      const found = r.file.startsWith("test/parity/")
        ? existsSync(join(ROOT, "test/parity/templates", `${r.name}.json`))
        : readFileSync(file, "utf8").includes(JSON.stringify(r.name).slice(1, -1)) ||
          // options-accepted.test.ts builds its titles from the option names
          (r.file.endsWith("options-accepted.test.ts") && r.name.includes(r.option));
      if (!found) missing.push(`${r.file} › ${r.name}`);
    }
    assert.deepEqual(missing, []);
  });

  it("gives each row the mutation of its own option", () => {
    for (const r of table) {
      if (r.mutant === undefined) continue;
      const type = r.component === "(core)" ? r.kind : r.component;
      assert.equal(r.mutant, `${r.kind}:${type}.${r.option}`, `row ${r.component} ${r.option}`);
    }
  });
});
