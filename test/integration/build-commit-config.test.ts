// The committed image's Entrypoint and Cmd for every combination of ENTRYPOINT / CMD in `changes`
// and in the base image (issue 18.1). The rule is a Dockerfile's, which Packer 1.6.6 follows for
// `changes`: an ENTRYPOINT without a CMD leaves Cmd empty; a CMD keeps the inherited Entrypoint;
// the base image's Entrypoint and Cmd stay as they were only when `changes` sets neither. (Where
// `changes` sets no ENTRYPOINT, Packer 1.6.6 bakes run_command's `/bin/sh` in instead: a known bug
// kiln does not copy, see docs/compat.md.)
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { build, BUSYBOX, describeRun, inspectImage, removeProduced, trackImage } from "./support/build.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";
import { dockerJson, dockerRequest, removeContainer } from "../harness/docker-api.js";
import { tagAs } from "./support/base-images.js";

const REPO = "kiln-it/commit-config";
const BASE_REPO = "kiln-it/commit-config-base";
const EP = ["/bin/echo", "base-entrypoint"];
const CMD = ["base-cmd"];
const NEW_EP = ["/bin/echo", "new-entrypoint"];
const NEW_CMD = ["new-cmd"];

type Argv = string[] | null;
interface Base {
  entrypoint: Argv;
  cmd: Argv;
}
const BASES: Record<string, Base> = {
  neither: { entrypoint: null, cmd: null },
  cmd: { entrypoint: null, cmd: CMD },
  entrypoint: { entrypoint: EP, cmd: null },
  both: { entrypoint: EP, cmd: CMD },
};
const CHANGES: Record<string, { entrypoint?: string[]; cmd?: string[] }> = {
  none: {},
  entrypoint: { entrypoint: NEW_EP },
  cmd: { cmd: NEW_CMD },
  both: { entrypoint: NEW_EP, cmd: NEW_CMD },
};

/** What a Dockerfile `FROM base` + these instructions gives (an empty list counts as unset). */
function expected(base: Base, change: { entrypoint?: string[]; cmd?: string[] }): Base {
  if (change.entrypoint) return { entrypoint: change.entrypoint, cmd: change.cmd ?? null };
  return { entrypoint: base.entrypoint, cmd: change.cmd ?? base.cmd };
}

const orNull = (v: string[] | null | undefined): Argv => (v && v.length > 0 ? v : null);

/** A base image with exactly this Entrypoint and Cmd (import gives none; commit sets them). */
async function makeBase(tag: string, base: Base): Promise<string> {
  const ref = `${BASE_REPO}:${tag}`;
  const created = await dockerJson<{ Id: string }>("POST", "/containers/create", {
    body: { Image: BUSYBOX, Cmd: ["true"], Labels: { "kiln.test": "1" } },
  });
  try {
    const exported = await dockerRequest("GET", `/containers/${created.Id}/export`);
    assert.equal(exported.status, 200);
    const changes = [
      ...(base.entrypoint ? [`ENTRYPOINT ${JSON.stringify(base.entrypoint)}`] : []),
      ...(base.cmd ? [`CMD ${JSON.stringify(base.cmd)}`] : []),
    ];
    // Imported untagged, then tagged: Podman's import ignores `tag` and would name it :latest.
    const imported = await dockerRequest("POST", "/images/create", {
      query: { fromSrc: "-", changes },
      body: exported.body,
      headers: { "Content-Type": "application/x-tar" },
      timeoutMs: 60_000,
    });
    assert.equal(imported.status, 200, imported.body.toString());
    const id = /sha256:[0-9a-f]{64}/.exec(imported.body.toString())?.[0];
    assert.ok(id, `the import reported its image ID: ${imported.body.toString()}`);
    await tagAs(id, ref);
  } finally {
    await removeContainer(created.Id);
  }
  trackImage(ref);
  const img = (await inspectImage(ref)) as unknown as { Config: { Entrypoint?: Argv; Cmd?: Argv } };
  assert.deepEqual(
    { entrypoint: orNull(img.Config.Entrypoint), cmd: orNull(img.Config.Cmd) },
    base,
    `base image ${ref} as intended`,
  );
  return ref;
}

describe("commit: Entrypoint and Cmd for every combination of changes and base image", () => {
  const bases = new Map<string, string>();
  before(async () => {
    for (const [name, base] of Object.entries(BASES)) bases.set(name, await makeBase(name, base));
  });
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after commit config tests" });
  });

  it("follows the Dockerfile rule in all 16 cases (one template, 16 builds)", async (t) => {
    const builders: object[] = [];
    const postProcessors: object[] = [];
    for (const baseName of Object.keys(BASES)) {
      for (const [changeName, change] of Object.entries(CHANGES)) {
        const name = `${baseName}-${changeName}`;
        builders.push({
          type: "docker",
          name,
          image: bases.get(baseName),
          pull: false,
          commit: true,
          changes: [
            ...(change.entrypoint ? [`ENTRYPOINT ${JSON.stringify(change.entrypoint)}`] : []),
            ...(change.cmd ? [`CMD ${JSON.stringify(change.cmd)}`] : []),
          ],
        });
        postProcessors.push({ type: "docker-tag", repository: REPO, tags: [name], only: [name] });
        trackImage(`${REPO}:${name}`);
      }
    }
    const r = await build(t, {
      builders,
      provisioners: [{ type: "shell", inline: ["true"] }],
      "post-processors": postProcessors,
    });
    assert.equal(r.code, 0, describeRun(r));
    const wrong: string[] = [];
    for (const [baseName, base] of Object.entries(BASES)) {
      for (const [changeName, change] of Object.entries(CHANGES)) {
        const name = `${baseName}-${changeName}`;
        const img = (await inspectImage(`${REPO}:${name}`)) as unknown as {
          Config: { Entrypoint?: Argv; Cmd?: Argv };
        };
        const got = { entrypoint: orNull(img.Config.Entrypoint), cmd: orNull(img.Config.Cmd) };
        const want = expected(base, change);
        if (JSON.stringify(got) !== JSON.stringify(want))
          wrong.push(
            `base ${baseName}, changes ${changeName}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`,
          );
      }
    }
    assert.deepEqual(wrong, []);
  });
});
