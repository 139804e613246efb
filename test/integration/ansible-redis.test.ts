// Seed 003 rebuilt: the redis image made by an Ansible playbook (raw bootstrap play, a role,
// a cleanup play) on the Debian base, through the ansible provisioner (host ansible-playbook,
// docker connection). One build, checked from every side.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { build, DEBIAN, describeRun, inImage, inspectImage, removeProduced } from "./support/build.js";
import {
  assertContainersGone,
  assertNoLeftovers,
  assertOneLayerOver,
  containerIds,
  LEFTOVER_FIND,
  REDIS_CHANGES,
  REDIS_FIXTURE,
  redisPing,
} from "./provisioners-support.js";

describe("seed 003: redis image built by the ansible provisioner", () => {
  after(async () => {
    await removeProduced();
    await assertNoLeftovers("after the ansible redis build");
  });

  it("runs redis-server and answers PING; one layer over the base; nothing of Ansible left in it", async (t) => {
    const r = await build(
      t,
      {
        builders: [{ type: "docker", image: DEBIAN, pull: false, commit: true, changes: REDIS_CHANGES }],
        provisioners: [{ type: "ansible", playbook_file: "redis/playbook.yml" }],
      },
      {
        prepare: (dir) => cpSync(REDIS_FIXTURE, join(dir, "redis"), { recursive: true }),
        timeoutMs: 600_000,
      },
    );
    t.diagnostic(`redis build (ansible provisioner): ${(r.durationMs / 1000).toFixed(1)} s`);
    assert.equal(r.code, 0, describeRun(r));
    // Output as Packer prints it, minus the SSH proxy.
    assert.match(
      r.stdout,
      /==> docker: Provisioning with Ansible\.\.\.\n==> docker: Executing Ansible: ansible-playbook -e @\S+ -i \S+ \S+\/redis\/playbook\.yml\n/,
    );
    for (const task of [
      "Bootstrap python",
      "redis : Create group",
      "redis : Create user",
      "redis : Create Required Redis Directories",
      "redis : Install Redis from Debian's packages",
      "redis : Copy the Redis conf file",
      "Remove build dependencies",
      "Remove apt lists",
    ]) {
      assert.match(
        r.stdout,
        new RegExp(
          `    docker: TASK \\[${task.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\] \\*+\\n    docker: changed: \\[default\\]`,
        ),
      );
    }
    assert.match(r.stdout, /default +: ok=10 +changed=8 +unreachable=0 +failed=0/);
    assert.doesNotMatch(r.stdout, /proxy adapter/);
    await assertContainersGone(containerIds(r.stdout));

    const image = r.imageIds[0]!;
    const top = await assertOneLayerOver(image, DEBIAN);
    t.diagnostic(`layer over the base: ${(top.Size / 1e6).toFixed(1)} MB`);
    const config = (await inspectImage(image))!.Config as { Cmd?: string[]; User?: string } | null;
    assert.deepEqual(config?.Cmd, ["redis-server", "/etc/redis/redis.conf"]);
    assert.equal(config?.User, "redis");

    assert.equal(await redisPing(image), "PONG");

    const inside = await inImage(
      image,
      [
        "id redis",
        "stat -c '%U:%G %a %n' /var/lib/redis /etc/redis/redis.conf",
        "grep -c . /etc/redis/redis.conf",
        "echo lists=$(ls /var/lib/apt/lists | wc -l)",
        "command -v python3 || echo no-python",
        "echo leftovers:",
        LEFTOVER_FIND,
      ].join("; "),
      "0",
    );
    assert.match(inside, /uid=\d+\(redis\) gid=\d+\(redis\)/);
    assert.match(inside, /redis:redis 750 \/var\/lib\/redis\nredis:redis 640 \/etc\/redis\/redis\.conf/);
    assert.match(inside, /lists=0/);
    assert.match(inside, /no-python/);
    assert.equal(inside.split("leftovers:\n")[1], "", `left in the image:\n${inside}`);
  });
});
