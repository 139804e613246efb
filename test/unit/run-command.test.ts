import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  mapDevice,
  mapRunCommand,
  parseBytes,
  parseMount,
  parsePublish,
  parseTmpfs,
  parseUlimit,
  parseVolume,
  validateRunCommandStatically,
} from "../../src/builders/docker/run-command.js";
import type { RunCommandMapping } from "../../src/builders/docker/run-command.js";

const OPTS = { hostEnv: { FROM_HOST: "yes" }, cwd: "/work/project" };
const map = (...args: string[]): RunCommandMapping => mapRunCommand(args, OPTS);

describe("mapRunCommand", () => {
  it("maps Packer's default run_command", () => {
    const m = map("-d", "-i", "-t", "--entrypoint=/bin/sh", "--", "bb:latest");
    assert.deepEqual(m.problems, []);
    assert.equal(m.image, "bb:latest");
    assert.deepEqual(m.cmd, []);
    assert.deepEqual(m.spec, {
      Image: "bb:latest",
      OpenStdin: true,
      Tty: true,
      Entrypoint: ["/bin/sh"],
      HostConfig: {},
    });
  });

  // [args, expected subset of spec (HostConfig merged separately), image, cmd]
  const table: [string, string[], Record<string, unknown>, Record<string, unknown>][] = [
    ["combined shorthands", ["-dit", "img"], { Tty: true, OpenStdin: true }, {}],
    ["shorthand with attached value", ["-uroot", "-w/srv", "img"], { User: "root", WorkingDir: "/srv" }, {}],
    ["shorthand with =value", ["-e=A=1", "img"], { Env: ["A=1"] }, {}],
    [
      "group ending in a value flag",
      ["-itu", "1000:1000", "img"],
      { Tty: true, OpenStdin: true, User: "1000:1000" },
      {},
    ],
    [
      "--flag value and --flag=value",
      ["--user", "app", "--hostname=builder", "img"],
      { User: "app", Hostname: "builder" },
      {},
    ],
    ["empty entrypoint clears it", ["--entrypoint=", "img"], { Entrypoint: [""] }, {}],
    [
      "entrypoint is one word, not split",
      ["--entrypoint", "/bin/sh -c", "img"],
      { Entrypoint: ["/bin/sh -c"] },
      {},
    ],
    [
      "env: value, host lookup, repeat",
      ["-e", "A=1", "--env=FROM_HOST", "-e", "B=x=y", "img"],
      { Env: ["A=1", "FROM_HOST=yes", "B=x=y"] },
      {},
    ],
    ["bool flag =false", ["-t=false", "--interactive=false", "img"], { Tty: false, OpenStdin: false }, {}],
    ["name", ["--name", "builder-1", "img"], { name: "builder-1" }, {}],
    ["labels", ["-l", "a=b", "--label=flag", "img"], { Labels: { a: "b", flag: "" } }, {}],
    ["platform", ["--platform", "linux/arm64", "img"], { platform: "linux/arm64" }, {}],
    [
      "expose",
      ["--expose", "80", "--expose=7000-7001/udp", "img"],
      { ExposedPorts: { "80/tcp": {}, "7000/udp": {}, "7001/udp": {} } },
      {},
    ],
    [
      "volumes",
      ["-v", "/h:/c", "-v", "./rel:/r:ro", "-v", "named:/n", "-v", "/anon", "img"],
      {},
      {
        Binds: ["/h:/c", "/work/project/rel:/r:ro", "named:/n"],
        Mounts: [{ Type: "volume", Target: "/anon" }],
      },
    ],
    [
      "mounts",
      [
        "--mount",
        "type=bind,source=/h,target=/c,readonly",
        "--mount=type=volume,src=cache,dst=/cache",
        "--mount",
        "type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1777",
        "img",
      ],
      {},
      {
        Mounts: [
          { Type: "bind", Source: "/h", Target: "/c", ReadOnly: true },
          { Type: "volume", Source: "cache", Target: "/cache" },
        ],
        Tmpfs: { "/t": "size=67108864,mode=1777" },
      },
    ],
    [
      "tmpfs",
      ["--tmpfs", "/run", "--tmpfs=/tmp:rw,noexec,size=65536k", "img"],
      {},
      { Tmpfs: { "/run": "", "/tmp": "rw,noexec,size=65536k" } },
    ],
    [
      "privileged, init, caps",
      ["--privileged", "--init", "--cap-add", "SYS_ADMIN", "--cap-drop=NET_RAW", "img"],
      {},
      {
        Privileged: true,
        Init: true,
        CapAdd: ["SYS_ADMIN"],
        CapDrop: ["NET_RAW"],
      },
    ],
    [
      "device",
      ["--device", "/dev/fuse", "--device=/dev/sda:/dev/xvdc:r", "img"],
      {},
      {
        Devices: [
          { PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm" },
          { PathOnHost: "/dev/sda", PathInContainer: "/dev/xvdc", CgroupPermissions: "r" },
        ],
      },
    ],
    ["network and --net alias", ["--network", "none", "--net=none", "img"], {}, { NetworkMode: "none" }],
    [
      "runtime, security-opt",
      [
        "--runtime",
        "runsc",
        "--security-opt",
        "no-new-privileges",
        "--security-opt=seccomp=unconfined",
        "img",
      ],
      {},
      {
        Runtime: "runsc",
        SecurityOpt: ["no-new-privileges", "seccomp=unconfined"],
      },
    ],
    [
      "sizes",
      ["--shm-size", "1g", "-m", "512m", "--cpu-shares=512", "img"],
      {},
      { ShmSize: 1073741824, Memory: 536870912, CpuShares: 512 },
    ],
    [
      "dns, add-host",
      [
        "--dns",
        "1.1.1.1",
        "--add-host",
        "db:10.0.0.2",
        "--add-host=gw=host-gateway",
        "--add-host",
        "v6:[::1]",
        "img",
      ],
      {},
      {
        Dns: ["1.1.1.1"],
        ExtraHosts: ["db:10.0.0.2", "gw:host-gateway", "v6:::1"],
      },
    ],
    [
      "ulimit, sysctl",
      ["--ulimit", "nofile=1024:2048", "--ulimit=nproc=512", "--sysctl", "net.ipv4.ip_forward=1", "img"],
      {},
      {
        Ulimits: [
          { Name: "nofile", Soft: 1024, Hard: 2048 },
          { Name: "nproc", Soft: 512, Hard: 512 },
        ],
        Sysctls: { "net.ipv4.ip_forward": "1" },
      },
    ],
    [
      "ipc, pid, cgroupns",
      ["--ipc=host", "--pid", "container:abc", "--cgroupns=private", "img"],
      {},
      {
        IpcMode: "host",
        PidMode: "container:abc",
        CgroupnsMode: "private",
      },
    ],
  ];
  for (const [name, args, spec, hostConfig] of table) {
    it(name, () => {
      const m = map(...args);
      assert.deepEqual(m.problems, []);
      assert.equal(m.image, "img");
      const { HostConfig, Image, ...rest } = m.spec;
      assert.equal(Image, "img");
      assert.deepEqual(rest, spec);
      assert.deepEqual(HostConfig, hostConfig);
    });
  }

  it("publish fills PortBindings and ExposedPorts", () => {
    const m = map("-p", "8080:80", "-p=127.0.0.1::53/udp", "--publish", "[::1]:9000-9001:9000-9001", "img");
    assert.deepEqual(m.problems, []);
    assert.deepEqual(m.spec.ExposedPorts, { "80/tcp": {}, "53/udp": {}, "9000/tcp": {}, "9001/tcp": {} });
    assert.deepEqual(m.spec.HostConfig.PortBindings, {
      "80/tcp": [{ HostIp: "", HostPort: "8080" }],
      "53/udp": [{ HostIp: "127.0.0.1", HostPort: "" }],
      "9000/tcp": [{ HostIp: "::1", HostPort: "9000" }],
      "9001/tcp": [{ HostIp: "::1", HostPort: "9001" }],
    });
  });

  it("the first non-flag is the image and the rest is the command (flags after it belong to the command)", () => {
    const m = map("-d", "img:1", "sh", "-c", "--privileged");
    assert.equal(m.image, "img:1");
    assert.deepEqual(m.cmd, ["sh", "-c", "--privileged"]);
    assert.deepEqual(m.spec.Cmd, ["sh", "-c", "--privileged"]);
    assert.equal(m.spec.HostConfig.Privileged, undefined);
  });

  it("-- ends flags even before something that looks like a flag", () => {
    const m = map("--", "-weird-image");
    assert.equal(m.image, "-weird-image");
    assert.deepEqual(m.problems, []);
  });

  it("--rm and attach flags are accepted and noted", () => {
    const m = map("--rm", "-a", "stdout", "--sig-proxy=false", "img");
    assert.deepEqual(m.problems, []);
    assert.equal(m.spec.HostConfig.AutoRemove, undefined);
    assert.equal(m.notes.length, 3);
    assert.match(m.notes[0]!, /kiln removes the container itself/);
  });

  it("-e NAME unset on the host is dropped with a note", () => {
    const m = map("-e", "NOPE", "img");
    assert.equal(m.spec.Env, undefined);
    assert.match(m.notes[0]!, /NOPE/);
  });

  const problems: [string, string[], RegExp][] = [
    [
      "unknown flag with did-you-mean",
      ["--privilged", "img"],
      /unknown docker run flag "--privilged" \(did you mean "--privileged"\?\)/,
    ],
    ["unknown shorthand", ["-dx", "img"], /unknown shorthand flag 'x' in -dx/],
    ["missing value", ["-d", "--user"], /flag needs an argument: --user/],
    ["missing image", ["-d", "-i"], /no image in run_command/],
    ["--env-file", ["--env-file", "vars.env", "img"], /--env-file is not supported by kiln: .*-e NAME=VALUE/],
    ["unsupported real flag", ["--read-only", "img"], /--read-only is not supported by kiln/],
    ["unsupported value flag keeps parsing", ["--restart", "always", "img"], /--restart is not supported/],
    ["bad bool", ["--privileged=maybe", "img"], /invalid boolean value "maybe"/],
    ["relative workdir", ["-w", "srv", "img"], /must be an absolute path/],
    ["bad volume target", ["-v", "/h:rel", "img"], /container path "rel" must be absolute/],
    ["bad volume mode", ["-v", "/h:/c:rx", "img"], /unknown mode "rx"/],
    ["bad volume source", ["-v", "a/b:/c", "img"], /neither an absolute path/],
    [
      "mount option unsupported",
      ["--mount", "type=volume,target=/c,volume-driver=x", "img"],
      /option "volume-driver" is not supported/,
    ],
    ["mount without target", ["--mount", "type=bind,source=/h", "img"], /target is required/],
    ["tmpfs mount with source", ["--mount", "type=tmpfs,source=/h,target=/t", "img"], /takes no source/],
    ["relative tmpfs", ["--tmpfs", "tmp", "img"], /must be an absolute path/],
    ["bad device mode", ["--device", "/dev/a:/dev/b:rwx", "img"], /bad mode "rwx"/],
    ["CDI device", ["--device", "nvidia.com/gpu=all", "img"], /CDI/],
    ["two networks", ["--network", "a", "--network", "b", "img"], /one network only/],
    ["seccomp file", ["--security-opt", "seccomp=profile.json", "img"], /seccomp profile files/],
    ["bad security-opt", ["--security-opt", "label", "img"], /expected key=value/],
    ["bad size", ["--shm-size", "lots", "img"], /--shm-size: invalid size "lots"/],
    ["bad cpu-shares", ["--cpu-shares", "1.5", "img"], /whole number/],
    ["bad dns", ["--dns", "dns.local", "img"], /not an IP address/],
    ["bad add-host", ["--add-host", "db", "img"], /use host:ip/],
    ["bad publish", ["-p", "80:99999", "img"], /invalid container port/],
    ["publish range mismatch", ["-p", "1-3:1-2", "img"], /ranges differ/],
    [
      "bad ulimit name",
      ["--ulimit", "nofiles=1", "img"],
      /unknown ulimit "nofiles" \(did you mean "nofile"\?\)/,
    ],
    ["ulimit soft above hard", ["--ulimit", "nofile=10:5", "img"], /soft limit exceeds hard/],
    ["bad sysctl", ["--sysctl", "x", "img"], /use name=value/],
    ["bad ipc", ["--ipc", "shared", "img"], /--ipc "shared"/],
    ["bad cgroupns", ["--cgroupns", "yes", "img"], /use host or private/],
    ["bad name", ["--name", "-x", "img"], /invalid container name/],
    ["empty env name", ["-e", "=v", "img"], /invalid environment variable/],
  ];
  for (const [name, args, pattern] of problems) {
    it(`problem: ${name}`, () => {
      const m = map(...args);
      assert.ok(
        m.problems.some((p) => pattern.test(p)),
        `expected ${pattern} in ${JSON.stringify(m.problems)}`,
      );
    });
  }

  it("reports every problem at once", () => {
    const m = map("--privilged", "--read-only", "-w", "rel", "img");
    assert.equal(m.problems.length, 3);
    assert.equal(m.image, "img");
  });
});

describe("run-command helpers", () => {
  it("mapDevice", () => {
    assert.deepEqual(mapDevice("/dev/kvm"), {
      ok: true,
      value: { PathOnHost: "/dev/kvm", PathInContainer: "/dev/kvm", CgroupPermissions: "rwm" },
    });
    assert.deepEqual(mapDevice("/dev/kvm:rw"), {
      ok: true,
      value: { PathOnHost: "/dev/kvm", PathInContainer: "/dev/kvm", CgroupPermissions: "rw" },
    });
    assert.equal(mapDevice("/dev/a:/dev/b:r:x").ok, false);
    assert.equal(mapDevice("/dev/a:/dev/b:rr").ok, false);
    assert.equal(mapDevice("dev/a").ok, false);
    assert.equal(mapDevice("").ok, false);
  });

  it("parseTmpfs", () => {
    assert.deepEqual(parseTmpfs("/run:size=1m"), { ok: true, value: { target: "/run", options: "size=1m" } });
    assert.deepEqual(parseTmpfs("/run"), { ok: true, value: { target: "/run", options: "" } });
    assert.equal(parseTmpfs("run").ok, false);
  });

  const sizes: [string, number | undefined][] = [
    ["1024", 1024],
    ["1k", 1024],
    ["64m", 64 * 1024 ** 2],
    ["64MB", 64 * 1024 ** 2],
    ["2GiB", 2 * 1024 ** 3],
    ["1.5g", 1.5 * 1024 ** 3],
    ["1 kb", 1024],
    ["", undefined],
    ["-1", undefined],
    ["1x", undefined],
  ];
  for (const [spec, expected] of sizes) {
    it(`parseBytes(${JSON.stringify(spec)})`, () => {
      const parsed = parseBytes(spec);
      assert.deepEqual(parsed.ok ? parsed.value : undefined, expected);
    });
  }

  it("parseVolume / parseMount resolve ./relative sources against cwd", () => {
    assert.deepEqual(parseVolume("../x:/c", "/a/b"), { ok: true, value: { kind: "bind", bind: "/a/x:/c" } });
    assert.deepEqual(parseMount("type=bind,src=.,dst=/c", "/a/b"), {
      ok: true,
      value: { kind: "mount", mount: { Type: "bind", Source: "/a/b", Target: "/c" } },
    });
    assert.deepEqual(parseMount("target=/v"), {
      ok: true,
      value: { kind: "mount", mount: { Type: "volume", Target: "/v" } },
    });
    assert.deepEqual(parseMount("type=tmpfs,dst=/t,ro"), {
      ok: true,
      value: { kind: "tmpfs", target: "/t", options: "ro" },
    });
  });

  it("parsePublish: a host range for a single container port is kept as a range", () => {
    assert.deepEqual(parsePublish("8000-8010:80"), {
      ok: true,
      value: [{ port: "80/tcp", binding: { HostIp: "", HostPort: "8000-8010" } }],
    });
    assert.equal(parsePublish("1.2.3:80:80").ok, false);
    assert.equal(parsePublish("80/icmp").ok, false);
  });

  it("parseUlimit: -1 means unlimited", () => {
    assert.deepEqual(parseUlimit("memlock=-1:-1"), {
      ok: true,
      value: { Name: "memlock", Soft: -1, Hard: -1 },
    });
  });
});

describe("validateRunCommandStatically", () => {
  it("accepts the default run_command", () => {
    assert.deepEqual(
      validateRunCommandStatically(["-d", "-i", "-t", "--entrypoint=/bin/sh", "--", "{{.Image}}"]),
      [],
    );
    assert.deepEqual(validateRunCommandStatically(["-dit", "{{ .Image }}", "sh"]), []);
  });

  it("reports flag problems at their argument, with did-you-mean", () => {
    const problems = validateRunCommandStatically(["-d", "--privilged", "--tmpfs", "run", "{{.Image}}"]);
    assert.deepEqual(
      problems.map((p) => [p.arg, p.suggestions]),
      [
        [1, ["--privileged"]],
        [3, undefined],
      ],
    );
    assert.match(problems[0]!.message, /unknown docker run flag "--privilged"/);
    assert.match(problems[1]!.message, /tmpfs "run".*absolute/);
  });

  it("reports a missing image past the last argument", () => {
    const problems = validateRunCommandStatically(["-d", "-i"]);
    assert.equal(problems[0]!.arg, 2);
    assert.match(problems[0]!.message, /no image/);
  });

  it("does not check values only known at run time, and stops where a template may be a flag", () => {
    assert.deepEqual(validateRunCommandStatically(["--tmpfs", "{{user `dir`}}", "{{.Image}}"]), []);
    assert.deepEqual(validateRunCommandStatically(["--privileged={{user `p`}}", "{{.Image}}"]), []);
    assert.deepEqual(validateRunCommandStatically(["-e", "{{user `kv`}}", "{{.Image}}"]), []);
    assert.deepEqual(validateRunCommandStatically(["{{user `flags`}}", "--bogus", "{{.Image}}"]), []);
    assert.deepEqual(validateRunCommandStatically(["--{{user `f`}}", "x", "{{.Image}}"]), []);
    assert.deepEqual(validateRunCommandStatically(["-d", "{{ .Image | lower }}"]), []);
    assert.deepEqual(validateRunCommandStatically(["-d", "\u0001kiln-build:ID\u0001"]), []);
    // A literal problem before the unknown part is still one.
    const before = validateRunCommandStatically(["--bogus", "{{user `flags`}}", "{{.Image}}"]);
    assert.deepEqual(
      before.map((p) => p.arg),
      [0],
    );
  });

  it("does not read the host environment", () => {
    assert.deepEqual(validateRunCommandStatically(["-e", "HOME", "{{.Image}}"]), []);
  });
});
