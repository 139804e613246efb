// Options that had no test failing when kiln ignored them (test/OPTIONS.md lists every option and
// the test that fails without it): each is given a value other than its default, and its effect
// is checked where it shows: in the engine, in the container, in the image or in the output.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { build, BUSYBOX, describeRun, removeProduced } from "./support/build.js";
import { assertContainersGone, assertNoLeftovers, containerIds } from "./provisioners-support.js";
import { TEST_ENGINE } from "./support/engine.js";

const discard = { type: "docker", image: BUSYBOX, pull: false, discard: true };

/** Writes files (path → content) under `dir`, making parent directories. */
function tree(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), content, { mode: 0o755 });
  }
}

describe("option effects", () => {
  after(async () => {
    await removeProduced();
    await assertNoLeftovers("after the option-effect tests");
  });

  it("docker pty: provisioner commands get a terminal with pty, none without", async (t) => {
    const probe = { type: "shell", inline: ["[ -t 1 ] && echo stdout-is-a-tty || echo stdout-is-not-a-tty"] };
    const withPty = await build(t, { builders: [{ ...discard, pty: true }], provisioners: [probe] });
    assert.equal(withPty.code, 0, describeRun(withPty));
    assert.match(withPty.stdout, / {4}docker: stdout-is-a-tty\r?\n/);
    const without = await build(t, { builders: [discard], provisioners: [probe] });
    assert.equal(without.code, 0, describeRun(without));
    assert.match(without.stdout, / {4}docker: stdout-is-not-a-tty\n/);
  });

  it("docker runtime: the container is created with that runtime (an unknown one is refused by the engine)", async (t) => {
    const r = await build(t, {
      builders: [{ ...discard, runtime: "kiln-no-such-runtime" }],
      provisioners: [{ type: "shell", inline: ["echo should-not-run"] }],
    });
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stdout, /Run command: docker run --runtime kiln-no-such-runtime /);
    if (TEST_ENGINE === "podman") {
      // Podman's compatible API would ignore the runtime: kiln refuses before creating anything.
      assert.match(
        r.stdout,
        /runtime "kiln-no-such-runtime": Podman's Docker-compatible API ignores a container's runtime/,
      );
    } else {
      // The engine's own words: dockerd 20.10 "Unknown runtime specified", 26 "unknown or invalid
      // runtime name:".
      const refusal =
        TEST_ENGINE === "docker" ? "Unknown runtime specified" : "unknown or invalid runtime name:";
      assert.match(
        r.stdout,
        new RegExp(`create a container from kiln-test/busybox:1: ${refusal} kiln-no-such-runtime`),
      );
    }
    assert.doesNotMatch(r.stdout, /should-not-run/);
  });

  it("shell binary: CRLF line endings kept (true) or converted (false)", async (t) => {
    // `v=x\r` keeps the carriage return in the value when the file is not converted.
    const files = { "crlf.sh": '#!/bin/sh\nv=x\r\necho "length=${#v}"\n' };
    const kept = await build(
      t,
      { builders: [discard], provisioners: [{ type: "shell", script: "crlf.sh", binary: true }] },
      { files },
    );
    assert.equal(kept.code, 0, describeRun(kept));
    assert.match(kept.stdout, / {4}docker: length=2\n/);
    const converted = await build(
      t,
      { builders: [discard], provisioners: [{ type: "shell", script: "crlf.sh" }] },
      { files },
    );
    assert.equal(converted.code, 0, describeRun(converted));
    assert.match(converted.stdout, / {4}docker: length=1\n/);
  });

  it("shell pause_after: waits after the provisioner, saying so", async (t) => {
    const r = await build(t, {
      builders: [discard],
      provisioners: [
        { type: "shell", inline: ["date +%s > /tmp/t0"], pause_after: "2s" },
        { type: "shell", inline: ['echo "waited=$(( $(date +%s) - $(cat /tmp/t0) ))"'] },
      ],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /==> docker: Pausing 2s after this provisioner\.\.\.\n/);
    const waited = Number(/waited=(\d+)/.exec(r.stdout)?.[1]);
    assert.ok(waited >= 2, `waited ${waited} s`);
  });

  it("provisioner pause_before waits before it runs; timeout cancels it", async (t) => {
    const r = await build(t, {
      builders: [discard],
      provisioners: [
        { type: "shell", inline: ["date +%s > /tmp/t0"] },
        { type: "shell", pause_before: "2s", inline: ['echo "paused=$(( $(date +%s) - $(cat /tmp/t0) ))"'] },
        { type: "shell", timeout: "2s", inline: ["echo sleeping", "sleep 60", "echo never"] },
      ],
    });
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stdout, /==> docker: Pausing 2s before the next provisioner\.\.\.\n/);
    const paused = Number(/paused=(\d+)/.exec(r.stdout)?.[1]);
    assert.ok(paused >= 2, `paused ${paused} s`);
    assert.match(r.stdout, /provisioner 3 \(shell\) timed out after 2s \(its "timeout" option\)/);
    assert.doesNotMatch(r.stdout, /never/);
    assert.ok(r.durationMs < 50_000, `took ${r.durationMs} ms`);
  });

  it("shell expect_disconnect: a container gone during the script is tolerated with it, fatal without", async (t) => {
    // shell-local kills the build container from the host 3 s later, while the next script runs.
    const killer = {
      type: "shell-local",
      inline: ["(sleep 3; docker kill {{build `ID`}}) >/dev/null 2>&1 &"],
    };
    const sleeper = { type: "shell", inline: ["echo waiting", "sleep 30"] };
    const tolerated = await build(t, {
      builders: [discard],
      provisioners: [killer, { ...sleeper, expect_disconnect: true }],
    });
    assert.equal(tolerated.code, 0, describeRun(tolerated));
    assert.match(
      tolerated.stdout,
      /Remote end disconnected while executing the script \(expect_disconnect is set\)/,
    );
    const fatal = await build(t, { builders: [discard], provisioners: [killer, sleeper] });
    assert.equal(fatal.code, 1, describeRun(fatal));
    assert.doesNotMatch(fatal.stdout, /Remote end disconnected/);
  });

  it("shell-local provisioner inline_shebang and tempfile_extension shape the temporary script", async (t) => {
    const r = await build(t, {
      builders: [discard],
      provisioners: [
        {
          type: "shell-local",
          inline_shebang: "/bin/sh -eu",
          tempfile_extension: "sh",
          inline: ['echo "first=$(head -1 "$0") name=$(basename "$0")"'],
        },
      ],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, / {4}docker: first=#!\/bin\/sh -eu name=packer-shell\d+\.sh\n/);
  });

  it("shell-local post-processor: inline, command, script, scripts, execute_command, environment, shebang, extension, exit codes, only_on", async (t) => {
    const r = await build(
      t,
      {
        builders: [discard],
        "post-processors": [
          [
            {
              type: "shell-local",
              inline_shebang: "/bin/sh -eu",
              tempfile_extension: "sh",
              environment_vars: ["FROM_LIST=list", "BOTH=from-list"],
              env: { FROM_MAP: "map", BOTH: "from-map" },
              valid_exit_codes: [0, 3],
              inline: [
                'echo "pp-inline list=$FROM_LIST map=$FROM_MAP both=$BOTH first=$(head -1 "$0") name=$(basename "$0")"',
                "exit 3",
              ],
            },
          ],
          [{ type: "shell-local", command: "echo pp-command" }],
          [{ type: "shell-local", script: "one.sh" }],
          [{ type: "shell-local", scripts: ["two.sh", "three.sh"] }],
          [
            {
              type: "shell-local",
              execute_command: ["/bin/sh", "-c", "echo pp-runner; /bin/sh {{.Script}} runner-arg"],
              inline: ['echo "pp-arg=$1"'],
            },
          ],
          [{ type: "shell-local", only_on: ["windows"], inline: ["echo pp-not-here"] }],
        ],
      },
      {
        files: {
          "one.sh": "#!/bin/sh\necho pp-one\n",
          "two.sh": "#!/bin/sh\necho pp-two\n",
          "three.sh": "#!/bin/sh\necho pp-three\n",
        },
      },
    );
    assert.equal(r.code, 0, describeRun(r));
    assert.match(
      r.stdout,
      /pp-inline list=list map=map both=from-map first=#!\/bin\/sh -eu name=packer-shell\d+\.sh\n/,
    );
    assert.match(r.stdout, /: pp-command\n/);
    assert.match(r.stdout, /Running local shell script: one\.sh\n.*: pp-one\n/);
    assert.match(r.stdout, /: pp-two\n[\s\S]*: pp-three\n/);
    assert.match(r.stdout, /: pp-runner\n.*: pp-arg=runner-arg\n/);
    assert.match(r.stdout, /Skipping shell-local due to runtime OS\n/);
    assert.doesNotMatch(r.stdout, /pp-not-here/);
  });

  it("shell-local post-processor valid_exit_codes: an exit code not listed fails the sequence", async (t) => {
    const r = await build(t, {
      builders: [discard],
      "post-processors": [[{ type: "shell-local", valid_exit_codes: [0, 4], inline: ["exit 3"] }]],
    });
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stdout, /Script exited with non-zero exit status: 3\. Allowed exit codes are: \[0 4\]/);
    await assertContainersGone(containerIds(r.stdout));
  });

  it("ansible command, galaxy_command, galaxy_force_with_deps, roles_path and collections_path", async (t) => {
    const r = await build(
      t,
      {
        builders: [discard],
        provisioners: [
          {
            type: "ansible",
            playbook_file: "noop.yml",
            command: "./wrapped-playbook.sh",
            galaxy_file: "requirements.yml",
            galaxy_command: "./fake-galaxy.sh",
            galaxy_force_with_deps: true,
            roles_path: "my-roles",
            collections_path: "my-collections",
          },
        ],
      },
      {
        files: {
          "noop.yml": '- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.raw: "true"\n',
          "requirements.yml": "roles:\n  - name: r\ncollections:\n  - name: c\n",
          "fake-galaxy.sh": '#!/bin/sh\necho "$*" >> galaxy-args.txt\n',
          "wrapped-playbook.sh": '#!/bin/sh\necho "wrapped-ansible-playbook"\nexec ansible-playbook "$@"\n',
        },
      },
    );
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, / {4}docker: wrapped-ansible-playbook\n/);
    const req = join(r.dir, "requirements.yml");
    assert.deepEqual(readFileSync(join(r.dir, "galaxy-args.txt"), "utf8").trim().split("\n"), [
      `install -r ${req} --force-with-deps -p my-roles`,
      `collection install -r ${req} --force-with-deps -p my-collections`,
    ]);
  });

  it("ansible-local uploads playbook_paths, role_paths, collection_paths, group_vars, host_vars; galaxy_command with its paths", async (t) => {
    const fakePlaybook = [
      "#!/bin/sh",
      'echo "playbook: $1"',
      'echo "collections-env: $ANSIBLE_COLLECTIONS_PATH"',
      "find /tmp/stage -type f | sort | sed 's/^/staged: /'",
    ].join("\n");
    const r = await build(
      t,
      {
        builders: [discard],
        provisioners: [
          { type: "file", content: `${fakePlaybook}\n`, destination: "/tmp/fake-playbook" },
          { type: "file", content: '#!/bin/sh\necho "galaxy: $*"\n', destination: "/tmp/fake-galaxy" },
          { type: "shell", inline: ["chmod +x /tmp/fake-playbook /tmp/fake-galaxy"] },
          {
            type: "ansible-local",
            command: "/tmp/fake-playbook",
            staging_directory: "/tmp/stage",
            playbook_file: "site.yml",
            playbook_paths: ["pbs"],
            role_paths: ["roles/web"],
            collection_paths: ["colls/ns"],
            group_vars: "gv",
            host_vars: "hv",
            galaxy_file: "requirements.yml",
            galaxy_command: "/tmp/fake-galaxy",
            galaxy_roles_path: "/tmp/galaxy-roles",
            galaxy_collections_path: "/tmp/galaxy-collections",
          },
        ],
      },
      {
        files: { "site.yml": "- hosts: all\n", "requirements.yml": "roles: []\n" },
        prepare: (dir) =>
          tree(dir, {
            "pbs/extra.yml": "- hosts: all\n",
            "roles/web/tasks/main.yml": "[]\n",
            "colls/ns/galaxy.yml": "name: ns\n",
            "gv/all.yml": "a: 1\n",
            "hv/h.yml": "b: 2\n",
          }),
      },
    );
    assert.equal(r.code, 0, describeRun(r));
    const staged = [...r.stdout.matchAll(/staged: (\S+)/g)].map((m) => m[1]);
    // The default clean_staging_directory (true) removed it.
    assert.match(r.stdout, /Removing directory: \/tmp\/stage\n/);
    for (const f of [
      "/tmp/stage/playbooks/pbs/extra.yml",
      "/tmp/stage/roles/web/tasks/main.yml",
      "/tmp/stage/collections/ns/galaxy.yml",
      "/tmp/stage/group_vars/all.yml",
      "/tmp/stage/host_vars/h.yml",
    ])
      assert.ok(staged.includes(f), `${f} not staged: ${staged.join(", ")}`);
    assert.match(r.stdout, /collections-env: \/tmp\/stage\/collections\n/);
    assert.match(r.stdout, /galaxy: install -r \/tmp\/stage\/requirements\.yml -p \/tmp\/galaxy-roles\n/);
    assert.match(
      r.stdout,
      /galaxy: collection install -r \/tmp\/stage\/requirements\.yml -p \/tmp\/galaxy-collections\n/,
    );
  });
  it("ansible-local playbook_dir, playbook_files, inventory_groups, inventory_file, extra_arguments, clean_staging_directory, galaxy_force_install", async (t) => {
    const fakePlaybook = [
      "#!/bin/sh",
      'echo "args: $*"',
      'inv=""; prev=""',
      'for a in "$@"; do [ "$prev" = "-i" ] && inv="$a"; prev="$a"; done',
      "sed 's/^/inventory: /' \"$inv\"",
    ].join("\n");
    const fake = [
      { type: "file", content: `${fakePlaybook}\n`, destination: "/tmp/fake-playbook" },
      { type: "file", content: '#!/bin/sh\necho "galaxy: $*"\n', destination: "/tmp/fake-galaxy" },
      { type: "shell", inline: ["chmod +x /tmp/fake-playbook /tmp/fake-galaxy"] },
    ];
    const r = await build(
      t,
      {
        builders: [discard],
        provisioners: [
          ...fake,
          {
            type: "ansible-local",
            command: "/tmp/fake-playbook",
            staging_directory: "/tmp/stage2",
            clean_staging_directory: false,
            playbook_dir: "pbdir",
            playbook_files: ["pbdir/a.yml", "pbdir/b.yml"],
            inventory_groups: ["web", "db"],
            extra_arguments: ["--check"],
            galaxy_file: "requirements.yml",
            galaxy_command: "/tmp/fake-galaxy",
            galaxy_force_install: true,
          },
          { type: "shell", inline: ["ls /tmp/stage2 | sed 's/^/kept: /'"] },
          {
            type: "ansible-local",
            command: "/tmp/fake-playbook",
            playbook_file: "pbdir/a.yml",
            inventory_file: "hosts.ini",
          },
        ],
      },
      {
        files: { "requirements.yml": "roles: []\n", "hosts.ini": "custom-inventory-line\n" },
        prepare: (dir) => tree(dir, { "pbdir/a.yml": "- hosts: all\n", "pbdir/b.yml": "- hosts: all\n" }),
      },
    );
    assert.equal(r.code, 0, describeRun(r));
    const runs = [...r.stdout.matchAll(/args: (\S+)(.*)/g)].map((m) => [m[1] ?? "", m[2] ?? ""] as const);
    assert.deepEqual(
      runs.slice(0, 2).map(([playbook]) => playbook),
      ["/tmp/stage2/a.yml", "/tmp/stage2/b.yml"],
    );
    assert.match(runs[2]?.[0] ?? "", /^\/tmp\/packer-provisioner-ansible-local\/[^/]+\/a\.yml$/);
    assert.match(runs[0]![1], / --check /);
    assert.match(r.stdout, /inventory: \[web\]\n.*inventory: 127\.0\.0\.1\n.*inventory: \[db\]\n/s);
    assert.match(r.stdout, /inventory: custom-inventory-line\n/);
    assert.match(r.stdout, /kept: a\.yml\n/);
    assert.match(
      r.stdout,
      /galaxy: install -r \/tmp\/stage2\/requirements\.yml -p \/tmp\/stage2\/roles --force\n/,
    );
  });
});
