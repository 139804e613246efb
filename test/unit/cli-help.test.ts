// `kiln --help`, every command's --help (every option with its default) and `kiln help TOPIC`
// pages, run through the built CLI (bin/kiln.js → dist/, as `npm test` builds it). No engine.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(root, "bin/kiln.js");

function kiln(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The entries of one section ("Options:", "Commands:") of a help text, continuation lines joined. */
function section(help: string, title: string): string[] {
  const lines = help.split("\n");
  const start = lines.indexOf(title);
  if (start < 0) return [];
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith("  ")) break;
    if (/^ {2}\S/.test(line)) out.push(line.trim());
    else out[out.length - 1] += ` ${line.trim()}`;
  }
  return out;
}

const commandsOf = (help: string): string[] =>
  section(help, "Commands:").map((entry) => entry.split(/\s/)[0]!);

const top = kiln("--help");

test("kiln --help lists the commands, help topics included", () => {
  assert.equal(top.code, 0, top.stderr);
  const commands = commandsOf(top.stdout);
  for (const c of ["build", "chain", "validate", "inspect", "prune", "cache", "fix", "version", "help"])
    assert.ok(commands.includes(c), `${c} missing from:\n${top.stdout}`);
  assert.match(top.stdout, /help \[topic\].*cache,\s+chains, compat/s);
});

/** Every command path: ["build"], ["cache", "ls"], … */
function allCommands(): string[][] {
  const out: string[][] = [[]];
  for (const c of commandsOf(top.stdout).filter((c) => c !== "help")) {
    out.push([c]);
    for (const sub of commandsOf(kiln(c, "--help").stdout).filter((s) => s !== "help")) out.push([c, sub]);
  }
  return out;
}

test("every option of every command shows its default", () => {
  const paths = allCommands();
  assert.ok(
    paths.some((p) => p.join(" ") === "cache ls"),
    "subcommands are covered",
  );
  let options = 0;
  for (const path of paths) {
    const r = kiln(...path, "--help");
    assert.equal(r.code, 0, `kiln ${path.join(" ")} --help: ${r.stderr}`);
    for (const entry of section(r.stdout, "Options:")) {
      if (entry.startsWith("-h, --help")) continue;
      options++;
      assert.match(entry, /\bdefault\b/i, `kiln ${path.join(" ")} --help: no default in: ${entry}`);
    }
  }
  assert.ok(options >= 40, `only ${options} options seen`);
});

test("defaults are the real ones: a value, off for flags, none for unset values", () => {
  const options = section(kiln("build", "--help").stdout, "Options:");
  const entry = (flag: string) => options.find((o) => o.startsWith(flag)) ?? "";
  assert.match(entry("--cache-max-age"), /\(default: "7d"\)$/);
  assert.match(entry("--on-error"), /default: "cleanup"\)$/);
  assert.match(entry("--force"), /\(default: off\)$/);
  assert.match(entry("--var-file"), /\(default: none\)$/);
});

for (const [topic, doc] of [
  ["cache", "cache.md"],
  ["chains", "chains.md"],
  ["compat", "compat.md"],
] as const) {
  test(`kiln help ${topic}: the page, then the path of docs/${doc} in the package`, () => {
    const r = kiln("help", topic);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout.split("\n")[0],
      `kiln help ${topic}: ${
        readFileSync(join(root, "help", `${topic}.txt`), "utf8")
          .split("\n")[0]!
          .split(": ")[1]
      }`,
    );
    const last = r.stdout.trimEnd().split("\n").at(-1)!.trim();
    assert.equal(last, join(root, "docs", doc));
    assert.ok(existsSync(last));
  });
}

test("kiln help COMMAND is the command's --help; an unknown topic is a usage error with a did-you-mean", () => {
  assert.equal(kiln("help", "validate").stdout, kiln("validate", "--help").stdout);
  const r = kiln("help", "chian");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no command or topic "chian"; did you mean "chain"/);
  assert.match(r.stderr, /topics: cache, chains, compat/);
});

test("kiln help lists the topics", () => {
  const r = kiln("help");
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Topics \(kiln help TOPIC\): cache, chains, compat/);
});
