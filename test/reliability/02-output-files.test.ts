// Output files are written to a temp name and renamed: SIGINT or SIGKILL while `export_path` or
// `docker-save` is writing never leaves a truncated file under the final name; after SIGINT no
// partial file is left at all, after SIGKILL the journal names it and `kiln prune` removes it.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, describe } from "node:test";
import { endpointFromEnv } from "../harness/docker-api.js";
import { makeBigImage } from "./support/images.js";
import { removeImage } from "./support/leftovers.js";
import { scenario, type ScenarioContext } from "./support/scenario.js";
import { jsonTemplate, writeTemplate } from "./support/templates.js";

const RUN = randomUUID().slice(0, 8);
const endpoint = endpointFromEnv();
const BIG = `kiln-rel/big-${RUN}:1`;

before(async () => {
  await makeBigImage(endpoint, `kiln-rel/big-${RUN}`, "1", 300);
});

after(async () => {
  await removeImage(endpoint, BIG);
});

/** Resolves with the partial file once it holds at least `minBytes`. */
async function partialGrowing(dir: string, minBytes: number, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const name of existsSync(dir) ? readdirSync(dir) : []) {
      if (!name.endsWith(".partial")) continue;
      const file = path.join(dir, name);
      try {
        if (statSync(file).size >= minBytes) return file;
      } catch {
        // renamed or removed meanwhile
      }
    }
    if (Date.now() > deadline) throw new Error(`no partial file of ${minBytes} bytes in ${dir}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

type Output = "export_path" | "docker-save";

async function interruptWriting(
  s: ScenarioContext,
  output: Output,
  signal: "SIGINT" | "SIGKILL",
): Promise<void> {
  const out = path.join(s.dir, "out");
  mkdirSync(out);
  const final = path.join(out, output === "export_path" ? "container.tar" : "image.tar");
  const template =
    output === "export_path"
      ? jsonTemplate({ image: BIG, builder: { commit: false, export_path: final } })
      : jsonTemplate({ image: BIG, postProcessors: [{ type: "docker-save", path: final }] });
  const p = s.start(["build", "-color=false", writeTemplate(s.dir, template)]);
  await p.waitFor(output === "export_path" ? /Exporting the container/ : /Saving image/);
  const partial = await partialGrowing(out, 8 * 1024 * 1024);
  const seenBytes = statSync(partial).size;
  p.signal(signal);
  const r = await p.result();
  const images = [...r.output.matchAll(/Image ID: (sha256:[0-9a-f]{64})/g)].map((m) => m[1]!);
  for (const id of images) await removeImage(s.endpoint, id);
  assert.ok(!existsSync(final), `nothing under the final name ${final}`);
  const partials = readdirSync(out).filter((n) => n.endsWith(".partial"));
  if (signal === "SIGINT") {
    assert.equal(r.code, 130, r.output);
    assert.deepEqual(partials, [], "the partial file was removed");
    s.observe(`rc 130 with ${(seenBytes / 2 ** 20).toFixed(0)} MiB written; no final file, no partial`);
    return;
  }
  assert.equal(r.signal, "SIGKILL");
  assert.equal(partials.length, 1, "the partial file is still there after SIGKILL");
  const dry = await s.kiln(["prune", "--dry-run"]);
  assert.ok(dry.stdout.includes(partials[0]!), `prune lists the partial file:\n${dry.stdout}`);
  const prune = await s.kiln(["prune"]);
  assert.equal(prune.code, 0, prune.output);
  assert.deepEqual(
    readdirSync(out).filter((n) => n.endsWith(".partial")),
    [],
    "prune removed the partial file",
  );
  s.observe(
    `killed with ${(seenBytes / 2 ** 20).toFixed(0)} MiB written: no final file; partial journalled, removed by prune`,
  );
}

describe("output files are never truncated under their final name", () => {
  scenario("SIGINT while export_path is written", "exit 130; no final file; no partial file", (s) =>
    interruptWriting(s, "export_path", "SIGINT"),
  );
  scenario(
    "SIGKILL while export_path is written",
    "no final file; partial journalled; prune removes it",
    (s) => interruptWriting(s, "export_path", "SIGKILL"),
  );
  scenario("SIGINT while docker-save writes", "exit 130; no final file; no partial file", (s) =>
    interruptWriting(s, "docker-save", "SIGINT"),
  );
  scenario("SIGKILL while docker-save writes", "no final file; partial journalled; prune removes it", (s) =>
    interruptWriting(s, "docker-save", "SIGKILL"),
  );
});
