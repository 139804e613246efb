// Options kiln accepts without acting on them (docs/compat.md): every option whose schema marks it
// ignored is accepted in JSON and HCL2 templates with a positioned warning that says why; options
// accepted without a warning (Packer ignores them too, or kiln does what they ask another way)
// are each named in compat.md or test/OPTIONS.md; `windows_container` is refused. None of these
// can be checked by ignoring the option (see test/OPTIONS.md): this file is their test.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { builderSpecs, postProcessorSpecs, provisionerSpecs } from "../../src/template/components.js";
import { InvalidInputError, formatDiagnostic } from "../../src/template/diagnostic.js";
import { loadTemplate } from "../../src/template/load.js";
import type { FieldDef } from "../../src/template/schema.js";
import type { Template } from "../../src/template/types.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

type Kind = "builder" | "provisioner" | "post-processor";

/** The smallest valid block of each component, to which one option is added. */
const BASE: Record<string, Record<string, unknown>> = {
  "builder docker": { image: "busybox", commit: true },
  "provisioner shell": { inline: ["true"] },
  "provisioner shell-local": { inline: ["true"] },
  "provisioner file": { content: "x", destination: "/tmp/x" },
  "provisioner breakpoint": {},
  "provisioner ansible": { playbook_file: "p.yml" },
  "provisioner ansible-local": { playbook_file: "p.yml" },
  "post-processor docker-tag": { repository: "kiln-it/x" },
  "post-processor docker-import": { repository: "kiln-it/x" },
  "post-processor docker-save": { path: "x.tar" },
  "post-processor docker-push": {},
  "post-processor manifest": {},
  "post-processor shell-local": { inline: ["true"] },
};

/** A value of the option's kind that differs from its default. */
function sample(field: FieldDef): unknown {
  switch (field.kind) {
    case "bool":
      return field.defaultValue !== true;
    case "int":
      return 2222;
    case "duration":
      return "30s";
    case "strings":
      return ["-o", "x"];
    case "map":
      return { k: "v" };
    default:
      return "some-value";
  }
}

function hclValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(hclValue).join(", ")}]`;
  if (v !== null && typeof v === "object")
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${k} = ${hclValue(x)}`)
      .join(", ")} }`;
  return JSON.stringify(v);
}

function hclBlock(head: string, body: Record<string, unknown>, indent = "  "): string {
  return `${indent}${head} {\n${Object.entries(body)
    .map(([k, v]) => `${indent}  ${k} = ${hclValue(v)}\n`)
    .join("")}${indent}}\n`;
}

/** A template (JSON or HCL2) with the component configured as given. */
function template(kind: Kind, type: string, config: Record<string, unknown>, format: "json" | "hcl"): string {
  const builder = kind === "builder" ? config : BASE["builder docker"]!;
  if (format === "json") {
    return JSON.stringify({
      builders: [{ type: "docker", ...builder }],
      ...(kind === "provisioner" ? { provisioners: [{ type, ...config }] } : {}),
      ...(kind === "post-processor" ? { "post-processors": [{ type, ...config }] } : {}),
    });
  }
  const inner =
    kind === "provisioner"
      ? hclBlock(`provisioner "${type}"`, config)
      : kind === "post-processor"
        ? hclBlock(`post-processor "${type}"`, config)
        : "";
  return `${hclBlock('source "docker" "x"', builder, "")}build {\n  sources = ["source.docker.x"]\n${inner}}\n`;
}

async function load(text: string, format: "json" | "hcl"): Promise<Template> {
  const dir = mkdtempSync(join(tmpdir(), "kiln-options-"));
  writeFileSync(join(dir, "p.yml"), "- hosts: all\n");
  const file = format === "json" ? "t.json" : "t.pkr.hcl";
  writeFileSync(join(dir, file), text);
  return loadTemplate(file, { vars: [], varFiles: [], env: {}, cwd: dir, startTime: new Date(0) });
}

async function loadOrErrors(text: string, format: "json" | "hcl"): Promise<Template | string[]> {
  try {
    return await load(text, format);
  } catch (e) {
    assert.ok(e instanceof InvalidInputError, String(e));
    return e.diagnostics.map(formatDiagnostic);
  }
}

const SPECS: [Kind, Readonly<Record<string, { schema: Record<string, FieldDef> }>>][] = [
  ["builder", builderSpecs],
  ["provisioner", provisionerSpecs],
  ["post-processor", postProcessorSpecs],
];

describe("options kiln accepts and ignores", () => {
  const ignored: [Kind, string, string, FieldDef][] = [];
  for (const [kind, specs] of SPECS)
    for (const [type, spec] of Object.entries(specs))
      for (const [key, field] of Object.entries(spec.schema))
        if (field.ignored !== undefined) ignored.push([kind, type, key, field]);

  it("finds the ignored options of every component (docker_path everywhere, ansible's SSH proxy)", () => {
    const names = ignored.map(([kind, type, key]) => `${kind} ${type}.${key}`);
    for (const expected of [
      "builder docker.docker_path",
      "post-processor docker-push.docker_path",
      "provisioner ansible.use_proxy",
      "provisioner ansible.ssh_host_key_file",
    ])
      assert.ok(names.includes(expected), `${expected} not marked ignored: ${names.join(", ")}`);
  });

  for (const [kind, type, key, field] of ignored) {
    for (const format of ["json", "hcl"] as const) {
      it(`${kind} ${type}: ${key} (${format}) is accepted with a positioned warning`, async () => {
        const base = BASE[`${kind} ${type}`];
        assert.ok(base, `no base block for ${kind} ${type}: add one to BASE`);
        const t = await load(template(kind, type, { ...base, [key]: sample(field) }, format), format);
        const warning = t.warnings.find((w) => w.summary === `${key} is ignored: ${field.ignored}`);
        assert.ok(warning, `warnings: ${t.warnings.map((w) => w.summary).join("; ")}`);
        assert.ok((warning.pos?.line ?? 0) >= 1, "the warning has a position");
      });
    }
  }

  // Accepted without a warning; each one's documented reason is in compat.md.
  // [kind, type, option, value, the compat.md text that documents it]
  const silent: [Kind, string, string, unknown, string][] = [
    ["builder", "docker", "communicator", "none", "`docker` or `none`, accepted"],
    [
      "provisioner",
      "shell",
      "env_var_format",
      "export %s=%s; ",
      "| `env_var_format` shapes `{{.Vars}}` | Accepted; not used",
    ],
    [
      "provisioner",
      "shell",
      "use_env_var_file",
      true,
      "| `use_env_var_file` uploads a variables file only when set | Accepted",
    ],
    ["provisioner", "shell", "start_retry_timeout", "10s", "retried silently for `start_retry_timeout`"],
    [
      "provisioner",
      "shell-local",
      "env_var_format",
      "export %s=%s; ",
      "`env_var_format` is accepted and unused",
    ],
    ["provisioner", "shell-local", "use_linux_pathing", true, "shell-local `use_linux_pathing`"],
    ["provisioner", "ansible", "skip_version_check", true, "(`skip_version_check`) | Not run"],
    ["post-processor", "docker-tag", "force", true, "docker-tag `force`"],
    [
      "post-processor",
      "docker-tag",
      "platform",
      "linux/amd64",
      "docker-push and docker-tag `platform` | Accepted, not sent",
    ],
    [
      "post-processor",
      "docker-push",
      "platform",
      "linux/amd64",
      "docker-push and docker-tag `platform` | Accepted, not sent",
    ],
    [
      "post-processor",
      "shell-local",
      "env_var_format",
      "export %s=%s; ",
      "`env_var_format` is accepted and unused",
    ],
    ["post-processor", "shell-local", "use_linux_pathing", true, "shell-local `use_linux_pathing`"],
  ];
  const compat = readFileSync(join(ROOT, "docs/compat.md"), "utf8");
  for (const [kind, type, key, value, word] of silent) {
    it(`${kind} ${type}: ${key} is accepted (JSON and HCL2), and compat.md says why`, async () => {
      for (const format of ["json", "hcl"] as const) {
        const t = await loadOrErrors(
          template(kind, type, { ...BASE[`${kind} ${type}`], [key]: value }, format),
          format,
        );
        assert.ok(!Array.isArray(t), `${format}: ${JSON.stringify(t)}`);
      }
      assert.ok(compat.includes(word), `docs/compat.md does not say: ${word}`);
    });
  }

  it("builder docker: windows_container is refused at validate, positioned", async () => {
    for (const format of ["json", "hcl"] as const) {
      const r = await loadOrErrors(
        template("builder", "docker", { ...BASE["builder docker"], windows_container: true }, format),
        format,
      );
      assert.ok(Array.isArray(r), `${format}: accepted`);
      assert.ok(
        r.some((d) => /:\d+:\d+: error: .*Windows containers are not supported by kiln/.test(d)),
        r.join("\n"),
      );
    }
  });
});
