// `kiln fmt`: Packer-style docker templates already in canonical form stay unchanged, unformatted
// ones come out as expected, formatting is idempotent, and the layout matches hclwrite's (the
// formatter `packer fmt` uses, via @cdktn/hcl-tools) on every fixture and on mangled variants.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { InvalidInputError } from "../../src/template/diagnostic.js";
import { fmtPaths, unifiedDiff } from "../../src/template/hcl/fmt-command.js";
import { formatHcl } from "../../src/template/hcl/format.js";
import { fixture } from "./hcl-helpers.js";

const dir = (name: string): string => fixture("fmt", name);
const files = (name: string): string[] =>
  readdirSync(dir(name))
    .filter((f) => f.endsWith(".pkr.hcl"))
    .sort();
const read = (name: string, file: string): string => readFileSync(path.join(dir(name), file), "utf8");

type Format = (src: string) => Promise<string>;
let reference: Format | undefined;
async function hclwrite(src: string): Promise<string> {
  if (!reference) reference = ((await import("@cdktn/hcl-tools")) as { format: Format }).format;
  return reference(src);
}

/** The same template with its layout destroyed: indentation and alignment gone, spacing squeezed. */
function mangle(src: string): string {
  return src
    .split("\n")
    .map((l) => l.replace(/^\s+/, "").replace(/ {2,}=/g, " ="))
    .join("\n");
}

describe("formatHcl", () => {
  it("leaves canonical Packer-style docker templates unchanged", () => {
    assert.ok(files("canonical").length >= 4);
    for (const f of files("canonical"))
      assert.equal(formatHcl(read("canonical", f)), read("canonical", f), f);
  });

  it("formats unformatted templates as expected", () => {
    assert.deepEqual(files("unformatted"), files("expected"));
    for (const f of files("unformatted"))
      assert.equal(formatHcl(read("unformatted", f)), read("expected", f), f);
  });

  it("is idempotent", () => {
    for (const [set, f] of [
      ...files("unformatted").map((f) => ["unformatted", f]),
      ...files("canonical").map((f) => ["canonical", f]),
    ]) {
      const once = formatHcl(read(set!, f!));
      assert.equal(formatHcl(once), once, f);
      const mangled = formatHcl(mangle(read(set!, f!)));
      assert.equal(formatHcl(mangled), mangled, `${f} (mangled)`);
    }
  });

  it("lays out every fixture as Packer's formatter does, mangled or not", async () => {
    for (const set of ["canonical", "unformatted", "expected"]) {
      for (const f of files(set)) {
        const src = read(set, f);
        assert.equal(formatHcl(src), await hclwrite(src), `${set}/${f}`);
        assert.equal(formatHcl(mangle(src)), await hclwrite(mangle(src)), `${set}/${f} (mangled)`);
      }
    }
  });

  it("matches Packer's formatter on spacing details", async () => {
    const cases = [
      "a = [ 1 ,2 ]\nbb = { x=1 }\nccc = f( a , b... )\n",
      'x = "${ var.a }%{ if b }c%{ endif }${~ d ~}"\n',
      "y = a ? -1 : b == -2\nz = [for i , v in x : v if ! v]\n",
      "w = { for k, v in m : k => v... }\nv = x[*].y.*.z\nu = x [ 0 ] . y\n",
      "é = 1\nee = 2 # c\nfff = 3 # longer comment\n\ng = <<EOT\n  body ${ x }\nEOT\nh = 1\n",
      'b {\n}\nc {}\nd { x = 1 }\ne "l" {\n\tf = [{\n\tg = 1\n\t}, {\n\th = 2\n\t}]\n}\n',
      "i = foo(\n1,\n2\n)\nj = (\n1 + 2\n)\n",
      "   # indented comment\nk = 1    \n\n\n\nl = 2\n",
    ];
    for (const src of cases) assert.equal(formatHcl(src), await hclwrite(src), JSON.stringify(src));
  });

  it("refuses input that does not parse, with the position", () => {
    assert.throws(
      () => formatHcl('a = "x\n', "bad.pkr.hcl"),
      (e: unknown) =>
        e instanceof InvalidInputError &&
        e.diagnostics[0]!.pos?.file === "bad.pkr.hcl" &&
        e.diagnostics[0]!.pos.line === 1,
    );
  });
});

describe("fmtPaths (kiln fmt)", () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "kiln-hcl-fmt-"));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const setup = (): { root: string; messy: string; clean: string; nested: string } => {
    const root = mkdtempSync(path.join(tmp, "case-"));
    mkdirSync(path.join(root, "sub"));
    const messy = path.join(root, "messy.pkr.hcl");
    const clean = path.join(root, "clean.pkr.hcl");
    const nested = path.join(root, "sub", "vars.pkrvars.hcl");
    writeFileSync(messy, read("unformatted", "messy-docker.pkr.hcl"));
    writeFileSync(clean, read("canonical", "export-import.pkr.hcl"));
    writeFileSync(nested, "a=1\nbbb=2\n");
    writeFileSync(path.join(root, "notes.txt"), "not hcl");
    return { root, messy, clean, nested };
  };

  it("-check lists unformatted files, writes nothing and exits 3", async () => {
    const { root, messy } = setup();
    const out: string[] = [];
    const code = await fmtPaths([root], { check: true, diff: false, write: true, recursive: false }, (s) =>
      out.push(s),
    );
    assert.equal(code, 3);
    assert.deepEqual(out, [`${messy}\n`]);
    assert.equal(readFileSync(messy, "utf8"), read("unformatted", "messy-docker.pkr.hcl"));
  });

  it("-check exits 0 when everything is formatted", async () => {
    const out: string[] = [];
    assert.equal(
      await fmtPaths([dir("canonical")], { check: true, diff: false, write: true, recursive: false }, (s) =>
        out.push(s),
      ),
      0,
    );
    assert.deepEqual(out, []);
  });

  it("rewrites files by default; -recursive descends into directories", async () => {
    const { root, messy, nested } = setup();
    const out: string[] = [];
    assert.equal(
      await fmtPaths([root], { check: false, diff: false, write: true, recursive: true }, (s) => out.push(s)),
      0,
    );
    assert.deepEqual(out, [`${messy}\n`, `${nested}\n`]);
    assert.equal(readFileSync(messy, "utf8"), read("expected", "messy-docker.pkr.hcl"));
    assert.equal(readFileSync(nested, "utf8"), "a   = 1\nbbb = 2\n");
  });

  it("-write=false -diff shows the change without writing", async () => {
    const { messy } = setup();
    const out: string[] = [];
    assert.equal(
      await fmtPaths([messy], { check: false, diff: true, write: false, recursive: false }, (s) =>
        out.push(s),
      ),
      0,
    );
    const text = out.join("");
    assert.match(text, /^--- old\/.*messy\.pkr\.hcl\n\+\+\+ new\//m);
    assert.match(text, /^-image="debian:12"$/m);
    assert.match(text, /^\+ {2}image {3}= "debian:12"$/m);
    assert.equal(readFileSync(messy, "utf8"), read("unformatted", "messy-docker.pkr.hcl"));
  });

  it("reports files that do not parse and exits 2", async () => {
    const { root } = setup();
    writeFileSync(path.join(root, "broken.pkr.hcl"), "a = [\n");
    const out: string[] = [];
    assert.equal(
      await fmtPaths([root], { check: true, diff: false, write: false, recursive: false }, (s) =>
        out.push(s),
      ),
      2,
    );
    assert.match(out.join(""), /broken\.pkr\.hcl:2:1: error:/);
  });

  it("unifiedDiff produces hunks with context", () => {
    const d = unifiedDiff("a\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nc\nD\ne\nf\ng\nh\n", "f.hcl");
    assert.equal(d, "--- old/f.hcl\n+++ new/f.hcl\n@@ -1,7 +1,7 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n");
  });
});
