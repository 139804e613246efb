// Seed 001 ("Building Docker Images w/ Packer"): its template, with a Debian base instead of
// alpine, builds an image tagged as asked in which `nginx -v` runs. This is examples/nginx.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { build, DEBIAN, describeRun, inImage, removeProduced, trackImage } from "./support/build.js";
import { REPO_ROOT } from "../harness/kiln.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";

describe("seed 001: nginx image", () => {
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after seed 001" });
  });

  it("builds examples/nginx on the Debian base; nginx -v runs in the tagged image", async (t) => {
    trackImage("terraform-workshop/debian-nginx:0.0.1");
    const template = JSON.parse(readFileSync(join(REPO_ROOT, "examples/nginx/template.json"), "utf8")) as {
      builders: { image: string }[];
    };
    template.builders[0]!.image = DEBIAN;
    const r = await build(t, template, { timeoutMs: 600_000 });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /docker \(docker-tag\): Repository: terraform-workshop\/debian-nginx:0\.0\.1/);
    assert.match(r.stdout, /--> docker: Imported Docker image: terraform-workshop\/debian-nginx:0\.0\.1/);
    const version = await inImage("terraform-workshop/debian-nginx:0.0.1", "nginx -v 2>&1");
    assert.match(version, /nginx version: nginx\//);
  });
});
