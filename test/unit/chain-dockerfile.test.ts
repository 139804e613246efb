// What a Dockerfile consumes (FROM in every stage, COPY --from, ARGs and build args resolved as
// the builder does), .dockerignore as the docker CLI applies it, and the context tar kiln sends.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { extract } from "tar-stream";
import { dockerfileImages, readInstructions, substitute } from "../../src/chain/dockerfile-from.js";
import { compile, isExcluded, parseDockerignore } from "../../src/chain/dockerignore.js";
import { buildContext } from "../../src/chain/build-context.js";

const images = (text: string, args: Record<string, string> = {}, target?: string) =>
  dockerfileImages(text, args, target).map(
    (u) => `${u.line} ${u.instruction} ${u.image}${u.unresolved ? " ?" : ""}`,
  );

describe("Dockerfile FROM lines", () => {
  it("reads every stage, skips stage names and scratch, resolves global ARGs and build args", () => {
    const text = [
      "# syntax=docker/dockerfile:1",
      "ARG BASE=corp/base",
      "ARG TAG=1",
      "FROM ${BASE}:${TAG} AS build",
      "RUN make",
      "from --platform=linux/amd64 $BASE:${TAG:-9} as runtime",
      "COPY --from=build /out /out",
      "COPY --from=corp/tools:2 /bin/t /bin/t",
      "COPY --from=0 /x /x",
      "FROM runtime",
      "FROM scratch",
    ].join("\n");
    assert.deepEqual(images(text), [
      "4 FROM corp/base:1",
      "6 FROM corp/base:1",
      "8 COPY --from corp/tools:2",
    ]);
    assert.deepEqual(images(text, { TAG: "2", BASE: "x/y" }), [
      "4 FROM x/y:2",
      "6 FROM x/y:2",
      "8 COPY --from corp/tools:2",
    ]);
  });

  it("stops at --target's stage", () => {
    const text = "FROM a:1 AS one\nFROM b:1 AS two\nFROM c:1 AS three\n";
    assert.deepEqual(images(text, {}, "two"), ["1 FROM a:1", "2 FROM b:1"]);
  });

  it("joins continuation lines, honours the escape directive, and says when a value is unknown", () => {
    assert.deepEqual(images("FROM \\\n  corp/a:1\n"), ["1 FROM corp/a:1"]);
    assert.deepEqual(images("# escape=`\nFROM `\n corp/b:1\n"), ["2 FROM corp/b:1"]);
    assert.deepEqual(images("ARG V\nFROM corp/c:$V\n"), ["2 FROM corp/c: ?"]);
    assert.deepEqual(images("ARG V\nFROM corp/c:$V\n", { V: "3" }), ["2 FROM corp/c:3"]);
    assert.equal(readInstructions("RUN a \\\n# comment\n b\n")[0]?.args, "a  b");
  });

  it("substitutes as the builder: :- - :+ + and escaped dollars", () => {
    const vars = new Map<string, string | undefined>([
      ["SET", "v"],
      ["EMPTY", ""],
    ]);
    const s = (t: string) => substitute(t, vars).value;
    assert.equal(s("${SET:-d}|${EMPTY:-d}|${NONE:-d}"), "v|d|d");
    assert.equal(s("${SET-d}|${EMPTY-d}|${NONE-d}"), "v||d");
    assert.equal(s("${SET:+a}|${EMPTY:+a}|${EMPTY+a}"), "a||a");
    assert.equal(s("\\$SET $SET"), "$SET v");
  });
});

describe(".dockerignore (the CLI's rules)", () => {
  const excluded = (patterns: string, paths: string[]) => {
    const p = parseDockerignore(patterns);
    return paths.filter((x) => isExcluded(p, x));
  };
  it("matches files and everything under a matched directory", () => {
    assert.deepEqual(
      excluded("node_modules\n", ["node_modules", "node_modules/a/b.js", "src/node_modules"]),
      ["node_modules", "node_modules/a/b.js"],
    );
    assert.deepEqual(excluded("/build/\n", ["build/x", "a/build/x"]), ["build/x"]);
  });
  it("* and ? stop at /, ** spans directories", () => {
    assert.deepEqual(excluded("*.log\n", ["a.log", "d/a.log"]), ["a.log"]);
    assert.deepEqual(excluded("**/*.log\n", ["a.log", "d/a.log", "d/e/a.log"]), [
      "a.log",
      "d/a.log",
      "d/e/a.log",
    ]);
    assert.deepEqual(excluded("d/**\n", ["d", "d/x", "d/x/y", "dd/x"]), ["d/x", "d/x/y"]);
    assert.deepEqual(excluded("a?c\n", ["abc", "a/c", "abbc"]), ["abc"]);
    assert.deepEqual(excluded("[a-c].txt\n[^x]y\n", ["b.txt", "d.txt", "zy", "xy"]), ["b.txt", "zy"]);
  });
  it("the last matching pattern wins; ! re-includes; comments and blanks are ignored", () => {
    const text = "# comment\n\n*.md\n!README.md\nREADME-secret.md\n";
    assert.deepEqual(excluded(text, ["a.md", "README.md", "README-secret.md"]), ["a.md", "README-secret.md"]);
    assert.deepEqual(excluded("*\n!keep\n", ["x", "keep", "keep/inner"]), ["x"]);
  });
  it("escapes and cleaning", () => {
    assert.deepEqual(excluded("\\*.txt\n", ["*.txt", "a.txt"]), ["*.txt"]);
    assert.deepEqual(excluded("./a/../b//c/\n", ["b/c", "b/c/d"]), ["b/c", "b/c/d"]);
    assert.equal(compile("a.b").regex.test("axb"), false);
    assert.throws(() => parseDockerignore("!\n"), /illegal exclusion pattern/);
    assert.throws(() => parseDockerignore("[ab\n"), /unclosed \[/);
  });
});

async function tarNames(
  stream: NodeJS.ReadableStream,
): Promise<Map<string, { type: string; uid: number; content: string }>> {
  const out = new Map<string, { type: string; uid: number; content: string }>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on("entry", (h, s, next) => {
      let content = "";
      s.on("data", (c: unknown) => void (content += String(c)));
      s.on("end", () => {
        out.set(h.name, { type: h.type ?? "file", uid: h.uid ?? -1, content });
        next();
      });
    });
    ex.on("finish", resolve);
    ex.on("error", reject);
  });
  for await (const chunk of stream) ex.write(Buffer.from(chunk as Uint8Array));
  ex.end(undefined);
  await done;
  return out;
}

describe("build context", () => {
  it("honours .dockerignore, keeps Dockerfile and .dockerignore, owners 0, symlinks as links", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "kiln-ctx-"));
    mkdirSync(path.join(dir, "logs/keep"), { recursive: true });
    mkdirSync(path.join(dir, "src"));
    writeFileSync(path.join(dir, "Dockerfile"), "FROM x\n");
    writeFileSync(
      path.join(dir, ".dockerignore"),
      "logs\n!logs/keep/important.log\nDockerfile\n.dockerignore\n*.tmp\n",
    );
    writeFileSync(path.join(dir, "logs/a.log"), "a");
    writeFileSync(path.join(dir, "logs/keep/important.log"), "keep");
    writeFileSync(path.join(dir, "src/main.c"), "int main;");
    writeFileSync(path.join(dir, "x.tmp"), "tmp");
    symlinkSync("src/main.c", path.join(dir, "link"));
    let stats: { files: number } | undefined;
    const ctx = await buildContext(dir, path.join(dir, "Dockerfile"), (s) => (stats = s));
    assert.equal(ctx.dockerfile, "Dockerfile");
    const entries = await tarNames(ctx.stream);
    assert.deepEqual([...entries.keys()].sort(), [
      ".dockerignore",
      "Dockerfile",
      "link",
      "logs/keep/important.log",
      "src",
      "src/main.c",
    ]);
    assert.equal(entries.get("link")?.type, "symlink");
    assert.ok([...entries.values()].every((e) => e.uid === 0));
    assert.equal(entries.get("logs/keep/important.log")?.content, "keep");
    assert.equal(stats?.files, 4);
  });

  it("carries a Dockerfile from outside the context under a private name", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "kiln-ctx-"));
    mkdirSync(path.join(dir, "ctx"));
    writeFileSync(path.join(dir, "ctx/a"), "a");
    writeFileSync(path.join(dir, "Dockerfile.out"), "FROM y\n");
    const ctx = await buildContext(path.join(dir, "ctx"), path.join(dir, "Dockerfile.out"));
    assert.match(ctx.dockerfile, /^\.dockerfile\.[0-9a-f]{20}$/);
    const entries = await tarNames(ctx.stream);
    assert.equal(entries.get(ctx.dockerfile)?.content, "FROM y\n");
    assert.ok(entries.has("a"));
  });
});
